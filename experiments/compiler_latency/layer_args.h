// The command line of the study's single-layer programs (onednn_conv.cc, layer_kernels.cc):
// one convolution layer, the threads, and each program's own word options, e.g.
//   --c 64 --k 64 --h 56 --w 56 --kernel 3 --stride 1 --pad 1 --groups 1 --threads 1
//   --layout blocked
// A wrong option or value prints the usage and exits with 2. C++17 (the peer programs are
// built by run.sh with g++ -std=c++17).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

struct LayerArgs {
  int64_t c = 64, k = 64, h = 56, w = 56, kernel = 3, stride = 1, pad = 1, groups = 1;
  int threads = 1;
  std::map<std::string, std::string> words;  // each word option's value
};

// `word_options`: each word option with its allowed values, the first the default.
inline LayerArgs parse_layer_args(int argc, char** argv,
                                  const std::map<std::string, std::vector<std::string>>& word_options) {
  LayerArgs l;
  auto usage = [&] {
    std::string words;
    for (const auto& [key, values] : word_options) {
      words += " [" + key + " ";
      for (size_t i = 0; i < values.size(); ++i) words += (i ? "|" : "") + values[i];
      words += "]";
    }
    std::fprintf(stderr,
                 "usage: %s [--c C] [--k K] [--h H] [--w W] [--kernel R] [--stride S] [--pad P] "
                 "[--groups G] [--threads N]%s\n",
                 argv[0], words.c_str());
    std::exit(2);
  };
  for (const auto& [key, values] : word_options) l.words[key] = values.front();
  std::map<std::string, int64_t*> numbers = {{"--c", &l.c},           {"--k", &l.k},
                                             {"--h", &l.h},           {"--w", &l.w},
                                             {"--kernel", &l.kernel}, {"--stride", &l.stride},
                                             {"--pad", &l.pad},       {"--groups", &l.groups}};
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) usage();
    const std::string key = argv[i], value = argv[i + 1];
    const auto word = word_options.find(key);
    if (numbers.count(key)) {
      *numbers[key] = std::atoll(value.c_str());
      if (*numbers[key] < (key == "--pad" ? 0 : 1)) usage();
    } else if (key == "--threads") {
      l.threads = std::atoi(value.c_str());
      if (l.threads < 1) usage();
    } else if (word != word_options.end()) {
      bool allowed = false;
      for (const std::string& v : word->second) allowed = allowed || v == value;
      if (!allowed) usage();
      l.words[key] = value;
    } else {
      usage();
    }
  }
  if (l.c % l.groups || l.k % l.groups) usage();
  return l;
}
