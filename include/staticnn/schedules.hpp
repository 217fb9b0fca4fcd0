// Learning-rate schedules as in torch.optim.lr_scheduler, as closed forms of
// the step count: lr(t) is the rate for step t (t = 0 for the first step, as
// torch's last_epoch after t calls of scheduler.step()). A schedule is a small
// value with no state, so resuming a run needs only t (io/checkpoint.hpp).
// Results are doubles, as torch keeps them; assign to the options before
// each step:
//
//   nn::OneCycleLR one_cycle{.max_lr = 0.01, .total_steps = epochs * batches};
//   opt.options.lr = float(one_cycle.lr(t));
//   opt.options.beta1 = float(one_cycle.momentum(t));   // Adam/AdamW
//
// Checked against torch 1.13 step by step by tests/optimizer_test.cc.
#pragma once

#include <cmath>
#include <numbers>

namespace staticnn {

// torch.optim.lr_scheduler.StepLR: lr * gamma^floor(t / step_size).
struct StepLR {
  double base_lr;
  long step_size;
  double gamma = 0.1;
  double lr(long t) const { return base_lr * std::pow(gamma, double(t / step_size)); }
};

// torch.optim.lr_scheduler.CosineAnnealingLR over t_max steps (one half
// cosine from base_lr down to eta_min; torch's form continues periodically).
struct CosineAnnealingLR {
  double base_lr;
  long t_max;
  double eta_min = 0.0;
  double lr(long t) const {
    return eta_min + (base_lr - eta_min) *
                         (1.0 + std::cos(std::numbers::pi * double(t) / double(t_max))) / 2.0;
  }
};

// torch.optim.lr_scheduler.LinearLR: a linear warm-up from
// start_factor * base_lr to end_factor * base_lr over total_iters steps.
struct LinearLR {
  double base_lr;
  double start_factor = 1.0 / 3.0;
  double end_factor = 1.0;
  long total_iters = 5;
  double lr(long t) const {
    const long done = t < total_iters ? t : total_iters;
    return base_lr *
           (start_factor + (end_factor - start_factor) * double(done) / double(total_iters));
  }
};

// torch.optim.lr_scheduler.SequentialLR with two schedules: `first` for
// steps [0, milestone), then `then` restarted at 0 (e.g. warm-up, then cosine).
template <class First, class Then>
struct SequentialLR {
  First first;
  Then then;
  long milestone;
  double lr(long t) const { return t < milestone ? first.lr(t) : then.lr(t - milestone); }
};

// torch.optim.lr_scheduler.OneCycleLR (two phases, cosine annealing): the rate
// rises from max_lr / div_factor to max_lr over pct_start of the steps, then
// falls to max_lr / div_factor / final_div_factor; momentum (SGD's momentum,
// Adam's beta1) moves the opposite way between max_momentum and base_momentum.
struct OneCycleLR {
  double max_lr;
  long total_steps;
  double pct_start = 0.3;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  double base_momentum = 0.85;
  double max_momentum = 0.95;

  double lr(long t) const {
    const double initial = max_lr / div_factor;
    return phase(t, initial, max_lr, max_lr, initial / final_div_factor);
  }
  double momentum(long t) const {
    return phase(t, max_momentum, base_momentum, base_momentum, max_momentum);
  }

 private:
  static double anneal(double start, double end, double pct) {
    return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
  }
  // Phase one ends at step pct_start * total_steps - 1, phase two at the last step.
  double phase(long t, double start1, double end1, double start2, double end2) const {
    const double end_up = pct_start * double(total_steps) - 1.0;
    if (double(t) <= end_up) return anneal(start1, end1, double(t) / end_up);
    return anneal(start2, end2,
                  (double(t) - end_up) / (double(total_steps - 1) - end_up));
  }
};

}  // namespace staticnn
