// Oracles of the blocks: each runs the ListOracle of its inner lists and
// combines them as the block's definition says (sum, concatenation), with
// plain loops.
#pragma once

#include <cstddef>
#include <vector>

#include "tests/reference/network.hpp"

namespace staticnn::reference {

template <class T, class... Layers>
struct Reference<Sequential<Layers...>, T> {
  std::vector<ListOracle<T, Layers...>> list;  // one, made at the first forward
  void forward(Shape in, int batch, const T* p, T* buffers, const T* x, T* y, bool training) {
    list.assign(1, ListOracle<T, Layers...>(batch));
    const std::vector<T>& out = list[0].forward(in, p, buffers, x, training);
    std::copy(out.begin(), out.end(), y);
  }
  void backward(Shape in, int, const T* p, const T* buffers, const T*, const T*, const T* dy,
                T* dx, T* grads) {
    list[0].backward(in, p, buffers, dy, grads, dx);
  }
};
// Main, Shortcut, Branch and a user's named blocks: their base block's oracle.
template <class L, class T>
  requires detail::is_named_block<L>
struct Reference<L, T> : Reference<detail::block_base_t<L>, T> {};

// y = x + F(x), or F(x) + G(x); dx = dF^T dy + (dy or dG^T dy).
template <class T, class... Parts>
struct Reference<Residual<Parts...>, T> {
  using R = Residual<Parts...>;
  Reference<typename R::main, T> main;

  void forward(Shape in, int batch, const T* p, T* buffers, const T* x, T* y, bool training) {
    const auto mp = R::main::plan(in, false);
    const std::size_t n = std::size_t(batch) * mp.out.size();
    main.forward(in, batch, p, buffers, x, y, training);
    if constexpr (R::projection) {
      std::vector<T> g(n);
      shortcut.forward(in, batch, p + mp.params, buffers + mp.buffers, x, g.data(), training);
      for (std::size_t i = 0; i < n; ++i) y[i] += g[i];
    } else {
      for (std::size_t i = 0; i < n; ++i) y[i] += x[i];
    }
  }
  void backward(Shape in, int batch, const T* p, const T* buffers, const T* x, const T* y,
                const T* dy, T* dx, T* grads) {
    const auto mp = R::main::plan(in, false);
    const std::size_t n = std::size_t(batch) * in.size();
    main.backward(in, batch, p, buffers, x, y, dy, dx, grads);
    if constexpr (R::projection) {
      std::vector<T> d(n);
      shortcut.backward(in, batch, p + mp.params, buffers + mp.buffers, x, y, dy, d.data(),
                        grads + mp.params);
      for (std::size_t i = 0; i < n; ++i) dx[i] += d[i];
    } else {
      for (std::size_t i = 0; i < n; ++i) dx[i] += dy[i];
    }
  }

  struct NoShortcut {};
  template <class P>
  struct ShortcutOf {
    using type = NoShortcut;
  };
  template <class P>
    requires P::projection
  struct ShortcutOf<P> {
    using type = Reference<typename P::parts::shortcut, T>;
  };
  typename ShortcutOf<R>::type shortcut;
};

// Branch outputs stacked along channels, per sample.
template <class T, class... Branches>
struct Reference<Concat<Branches...>, T> {
  std::tuple<Reference<Branches, T>...> branches;

  void forward(Shape in, int batch, const T* p, T* buffers, const T* x, T* y, bool training) {
    const int total = Concat<Branches...>::step(in, false).out.size();
    ForEach(in, [&](auto& ref, auto branch, long params, long bufs, int offset) {
      using B = typename decltype(branch)::type;
      const int size = B::plan(in, false).out.size();
      std::vector<T> out(std::size_t(batch) * size);
      ref.forward(in, batch, p + params, buffers + bufs, x, out.data(), training);
      for (int b = 0; b < batch; ++b) {
        for (int i = 0; i < size; ++i) y[b * total + offset + i] = out[b * size + i];
      }
    });
  }
  void backward(Shape in, int batch, const T* p, const T* buffers, const T* x, const T*,
                const T* dy, T* dx, T* grads) {
    const int total = Concat<Branches...>::step(in, false).out.size();
    const std::size_t n = std::size_t(batch) * in.size();
    for (std::size_t i = 0; i < n; ++i) dx[i] = T(0);
    ForEach(in, [&](auto& ref, auto branch, long params, long bufs, int offset) {
      using B = typename decltype(branch)::type;
      const int size = B::plan(in, false).out.size();
      std::vector<T> d(std::size_t(batch) * size), dxb(n), unused;
      for (int b = 0; b < batch; ++b) {
        for (int i = 0; i < size; ++i) d[b * size + i] = dy[b * total + offset + i];
      }
      ref.backward(in, batch, p + params, buffers + bufs, x, nullptr, d.data(), dxb.data(),
                   grads + params);
      for (std::size_t i = 0; i < n; ++i) dx[i] += dxb[i];
    });
  }

 private:
  template <class F>
  void ForEach(Shape in, F&& f) {
    long params = 0, bufs = 0;
    int offset = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            using B = detail::nth<I, Branches...>;
            const auto plan = B::plan(in, false);
            f(std::get<I>(branches), std::type_identity<B>{}, params, bufs, offset);
            params += plan.params;
            bufs += plan.buffers;
            offset += plan.out.size();
          }(),
          ...);
    }(std::make_index_sequence<sizeof...(Branches)>{});
  }
};

}  // namespace staticnn::reference
