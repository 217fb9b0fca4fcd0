// expect: staticnn: a batch split across threads needs Shards >= 1 dividing Batch
// expect: each shard's workspace holds Batch / Shards samples
//
// A batch of 8 cut into 3 shards: the shards' workspaces, typed by their
// batch, cannot hold it. The twin cuts it into 4.
#include "staticnn/parallel_workspace.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Net = nn::Network<nn::Input<1, 4, 4>, nn::Flatten, nn::Linear<{.out_features = 3}>>;
#ifdef STATICNN_TWIN
constexpr int kShards = 4;
#else
constexpr int kShards = 3;
#endif

nn::ParallelTrainingWorkspace<Net, 8, kShards> workspace;
