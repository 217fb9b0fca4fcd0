// print_summary<Net>(): the table is checked line by line, so a change in the
// names, shapes or counts it prints cannot go unnoticed.

#include "staticnn/summary.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "staticnn/staticnn.hpp"
#include "tests/support/nets.hpp"

namespace {

namespace nn = staticnn;

using staticnn::test::BlocksNet;
using staticnn::test::LeNet;

// Every option that changes how a layer is described.
using Options = nn::Network<
    nn::Input<4, 17, 23>,
    nn::Conv2d<{.out_channels = 8, .kernel_size = {3, 5}, .stride = {2, 1}, .padding = {1, 2}}>,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = nn::same, .dilation = 2}>,
    nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1, .groups = 2}>,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 1, .padding = nn::valid, .bias = false}>,
    nn::MaxPool2d<{.kernel_size = 3, .stride = 2, .padding = 1}>,
    nn::AvgPool2d<{.kernel_size = {3, 2}, .stride = {1, 2}, .padding = {1, 1},
                   .count_include_pad = false}>,
    nn::Conv2d<{.out_channels = 12, .kernel_size = 2, .stride = 2,
                .rounding = nn::Rounding::floor}>,
    nn::GlobalAvgPool2d,
    nn::Flatten,
    nn::Linear<{.out_features = 5, .bias = false}>,
    nn::LeakyReLU<{.negative_slope = 0.2f}>,
    nn::LeakyReLU<>,
    nn::Softmax>;

// The printed table, one string per line (without the newline).
template <class Net>
std::vector<std::string> SummaryLines() {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  if (file == nullptr) return {};
  nn::print_summary<Net>(file);
  std::rewind(file);
  std::vector<std::string> lines(1);
  for (int c; (c = std::fgetc(file)) != EOF;) {
    if (c == '\n') {
      lines.emplace_back();
    } else {
      lines.back() += char(c);
    }
  }
  std::fclose(file);
  EXPECT_EQ(lines.back(), "") << "the table must end with a newline";
  lines.pop_back();
  return lines;
}

// Header, rule, input row, one row per layer, rule, five totals.
constexpr std::size_t kFixedLines = 3 + 1 + 6;

TEST(Summary, LeNet) {
  const std::vector<std::string> lines = SummaryLines<LeNet>();
  ASSERT_EQ(lines.size(), kFixedLines + LeNet::layer_count);
  EXPECT_EQ(lines[0],
            "Layer  Type (spec)                                         "
            " Output shape           Params         MACs");
  EXPECT_EQ(lines[1], std::string(102, '-'));
  EXPECT_EQ(lines[2], "       Input                                                [1, 28, 28]");
  EXPECT_EQ(lines[3],
            "    0  Conv2d(1->6, k=5x5, s=1, p=2)                       "
            " [6, 28, 28]               156      117,600");
  EXPECT_EQ(lines[5],
            "    2  MaxPool2d(k=2x2, s=2)                               "
            " [6, 14, 14]                 0            0");
  EXPECT_EQ(lines[6],
            "    3  Conv2d(6->16, k=5x5, s=1, p=0)                      "
            " [16, 10, 10]            2,416      240,000");
  EXPECT_EQ(lines[9],
            "    6  Flatten                                             "
            " [400]                       0            0");
  EXPECT_EQ(lines[10],
            "    7  Linear(400->120)                                    "
            " [120]                  48,120       48,000");
  EXPECT_EQ(lines[14],
            "   11  Linear(84->10)                                      "
            " [10]                      850          840");
  EXPECT_EQ(lines[15], std::string(102, '-'));
  // 61,706 * 4 bytes; activations: 2 * 4704 floats (inference) and
  // 8,094 + 2 * 4704 floats (training: no place for the outputs of the layers
  // whose ReLU is fused, which write the ReLU's; 14,602 before), 4 bytes each,
  // with each kept output rounded up to 16 floats (+34 floats); RAM: the whole
  // inference workspace, activations and conv scratch.
  EXPECT_EQ(lines[16], "Total params:             61,706");
  EXPECT_EQ(lines[17], "Param bytes (float32):    246,824");
  EXPECT_EQ(lines[18], "Total MACs:               416,520");
  EXPECT_EQ(lines[19], "Inference activations:    37,632 bytes (batch 1)");
  EXPECT_EQ(lines[20], "Training activations:     70,144 bytes (batch 1)");
  EXPECT_EQ(lines[21], "Inference RAM:            55,808 bytes (batch 1)");
}

TEST(Summary, DescribesEveryOption) {
  const std::vector<std::string> lines = SummaryLines<Options>();
  ASSERT_EQ(lines.size(), kFixedLines + Options::layer_count);
  const std::string rows[] = {
      "    0  Conv2d(4->8, k=3x5, s=2x1, p=1x2)                   "
      " [8, 9, 23]                488       99,360",
      "    1  Conv2d(8->8, k=3x3, s=1, p=same, d=2)               "
      " [8, 9, 23]                584      119,232",
      "    2  Conv2d(8->16, k=3x3, s=1, p=1, g=2)                 "
      " [16, 9, 23]               592      119,232",
      "    3  Conv2d(16->8, k=1x1, s=1, p=valid, no bias)         "
      " [8, 9, 23]                128       26,496",
      "    4  MaxPool2d(k=3x3, s=2, p=1)                          "
      " [8, 5, 12]                  0            0",
      "    5  AvgPool2d(k=3x2, s=1x2, p=1, exclude_pad)           "
      " [8, 5, 7]                   0            0",
      "    6  Conv2d(8->12, k=2x2, s=2, p=0, floor)               "
      " [12, 2, 3]                396        2,304",
      "    7  GlobalAvgPool2d                                     "
      " [12, 1, 1]                  0            0",
      "    8  Flatten                                             "
      " [12]                        0            0",
      "    9  Linear(12->5, no bias)                              "
      " [5]                        60           60",
      "   10  LeakyReLU(0.2)                                      "
      " [5]                         0            0",
      "   11  LeakyReLU(0.01)                                     "
      " [5]                         0            0",
      "   12  Softmax                                             "
      " [5]                         0            0",
  };
  for (std::size_t i = 0; i < std::size(rows); ++i) EXPECT_EQ(lines[3 + i], rows[i]);
  EXPECT_EQ(lines[17], "Total params:             2,248");
}

// A block's row is followed by its children's, keyed by state_dict path and
// indented per level; each child row carries its own counts (the block's row
// their sum), and named blocks (Main, Shortcut, Branch) print their names.
TEST(Summary, NestsBlockChildren) {
  const std::vector<std::string> lines = SummaryLines<BlocksNet>();
  // 10 layers; children: 3 + (3 + 2) + (4 + 3 + 2) + (2 + 1 + 1) + 2.
  ASSERT_EQ(lines.size(), kFixedLines + 10 + 23);
  const std::string rows[] = {
      "    3  Residual(main 2, shortcut 1 layers)                 "
      " [6, 5, 4]                 252        4,800",
      "         3.main Main(2 layers)                             "
      " [6, 5, 4]                 222        4,320",
      "           3.main.0 Conv2d(4->6, k=3x3, s=2, p=1, floor)   "
      " [6, 5, 4]                 222        4,320",
      "           3.main.1 LeakyReLU(0.1)                         "
      " [6, 5, 4]                   0            0",
      "         3.shortcut Shortcut(1 layer)                      "
      " [6, 5, 4]                  30          480",
      "           3.shortcut.0 Conv2d(4->6, k=1x1, s=2, p=0, floor)"
      " [6, 5, 4]                  30          480",
      "    4  Concat(3 branches)                                  "
      " [11, 5, 4]                179        3,480",
      "         4.0 Branch(1 layer)                               "
      " [2, 5, 4]                  14          240",
      "           4.0.0 Sequential(2 layers)                      "
      " [2, 5, 4]                  14          240",
      "             4.0.0.0 Conv2d(6->2, k=1x1, s=1, p=0)         "
      " [2, 5, 4]                  14          240",
  };
  for (std::size_t i = 0; i < std::size(rows); ++i) EXPECT_EQ(lines[9 + i], rows[i]);
  EXPECT_EQ(lines[lines.size() - 9],
            "         8.1 Tanh                                          "
            " [5]                         0            0");
}

}  // namespace
