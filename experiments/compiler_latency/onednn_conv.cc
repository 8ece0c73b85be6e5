// One fp32 convolution layer (with bias, batch 1, forward inference) timed in oneDNN, with
// the study's protocol: 3 warm-up runs, then runs until >= 10 and >= 0.2 s; the median
// counts. Benchmark only: oneDNN is a peer here, never part of the product.
//
//   g++ -O2 -fopenmp onednn_conv.cc -ldnnl -o onednn_conv
//   ./onednn_conv --c 64 --k 64 --h 56 --w 56 --kernel 3 --stride 1 --pad 1 --groups 1
//                 --threads 1 [--algo auto|direct] [--layout any|plain]    (one line)
//
// --layout any (the default) lets oneDNN pick its preferred (blocked) layouts for the data
// and weights, with the reorders outside the timed part: its best case. --layout plain
// keeps NCHW / OIHW as in the ONNX file. Prints one JSON object.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <dnnl.hpp>

#include "layer_args.h"

namespace {

// Uniform noise in [-1, 1] over the whole buffer (blocked layouts' padding included).
void fill(dnnl::memory& m, std::mt19937& rng) {
  std::uniform_real_distribution<float> uniform(-1, 1);
  auto* p = static_cast<float*>(m.get_data_handle());
  const size_t n = m.get_desc().get_size() / sizeof(float);
  for (size_t i = 0; i < n; ++i) p[i] = uniform(rng);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dnnl;
  using tag = memory::format_tag;
  const LayerArgs l = parse_layer_args(
      argc, argv, {{"--algo", {"auto", "direct"}}, {"--layout", {"any", "plain"}}});
  const std::string& algo_name = l.words.at("--algo");
  const std::string& layout = l.words.at("--layout");
  omp_set_num_threads(l.threads);

  const long oh = (l.h + 2 * l.pad - l.kernel) / l.stride + 1;
  const long ow = (l.w + 2 * l.pad - l.kernel) / l.stride + 1;
  const bool grouped = l.groups > 1;
  const memory::dims src_dims = {1, l.c, l.h, l.w}, dst_dims = {1, l.k, oh, ow};
  const memory::dims weight_dims =
      grouped ? memory::dims{l.groups, l.k / l.groups, l.c / l.groups, l.kernel, l.kernel}
              : memory::dims{l.k, l.c, l.kernel, l.kernel};
  const bool any = layout == "any";
  const auto f32 = memory::data_type::f32;
  const memory::desc src_md(src_dims, f32, any ? tag::any : tag::nchw);
  const memory::desc weight_md(weight_dims, f32, any ? tag::any : grouped ? tag::goihw : tag::oihw);
  const memory::desc bias_md({l.k}, f32, tag::x);
  const memory::desc dst_md(dst_dims, f32, any ? tag::any : tag::nchw);

  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  const algorithm algo =
      algo_name == "direct" ? algorithm::convolution_direct : algorithm::convolution_auto;
  const convolution_forward::desc desc(prop_kind::forward_inference, algo, src_md, weight_md,
                                       bias_md, dst_md, {l.stride, l.stride}, {l.pad, l.pad},
                                       {l.pad, l.pad});
  const convolution_forward::primitive_desc pd(desc, eng);
  memory src(pd.src_desc(), eng), weights(pd.weights_desc(), eng), bias(pd.bias_desc(), eng),
      dst(pd.dst_desc(), eng);
  std::mt19937 rng(0);
  fill(src, rng);
  fill(weights, rng);
  fill(bias, rng);
  convolution_forward conv(pd);
  const std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src},
                                                {DNNL_ARG_WEIGHTS, weights},
                                                {DNNL_ARG_BIAS, bias},
                                                {DNNL_ARG_DST, dst}};
  auto run = [&] {
    conv.execute(s, args);
    s.wait();
  };

  for (int i = 0; i < 3; ++i) run();
  std::vector<double> ms;
  double total = 0;
  while (ms.size() < 10 || total < 0.2) {
    const auto start = std::chrono::steady_clock::now();
    run();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ms.push_back(seconds * 1e3);
    total += seconds;
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<size_t>(q * (ms.size() - 1) + 0.5)]; };
  const double flops =
      2.0 * l.k * (l.c / l.groups) * l.kernel * l.kernel * static_cast<double>(oh * ow);
  const dnnl_version_t* v = dnnl_version();
  std::printf(
      "{\"median_ms\": %.6f, \"min_ms\": %.6f, \"max_ms\": %.6f, \"p25_ms\": %.6f, "
      "\"p75_ms\": %.6f, \"repeats\": %zu, \"threads\": %d, \"gflops\": %.3f, "
      "\"flops\": %.0f, \"algo\": \"%s\", \"layout\": \"%s\", \"impl\": \"%s\", "
      "\"onednn\": \"%d.%d.%d\", "
      "\"protocol\": \"3 warm-up, then >= 10 runs and >= 0.2 s; median\"}\n",
      at(0.5), ms.front(), ms.back(), at(0.25), at(0.75), ms.size(), l.threads,
      flops / (at(0.5) * 1e-3) * 1e-9, flops, algo_name.c_str(), layout.c_str(),
      pd.impl_info_str(), v->major, v->minor, v->patch);
  return 0;
}
