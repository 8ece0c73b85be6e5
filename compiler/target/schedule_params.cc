#include "compiler/target/schedule_params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nas::target {

ScheduleParams default_schedule_params(int vector_registers) {
  ScheduleParams p;
  // The choices bound by the register file, measured on Zen 4 with 32 vector registers
  // (AVX-512) and with 16 (AVX2 code on the same machine).
  const bool many_registers = vector_registers >= 32;
  p.conv_accumulators = many_registers ? 16 : 8;
  p.conv_pointwise_accumulators = many_registers ? 24 : 8;
  p.conv_channel_vectors =
      many_registers ? std::vector<int64_t>{4, 3, 2, 5, 7} : std::vector<int64_t>{2};
  p.window_block_columns = many_registers ? 14 : 7;
  p.dense_accumulators = many_registers ? 24 : 12;
  return p;
}

std::string ScheduleParams::to_string() const {
  std::string text;
  visit_fields([&](const char* name, const auto& value) {
    text += fmt::format("{} = {}\n", name, value);
  });
  return text;
}

nlohmann::json ScheduleParams::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  visit_fields([&](const char* name, const auto& value) { j[name] = value; });
  return j;
}

ScheduleParams ScheduleParams::with_json(const nlohmann::json& j) const {
  ScheduleParams p = *this;
  p.visit_fields([&](const char* name, auto& value) {
    if (j.contains(name)) j.at(name).get_to(value);
  });
  return p;
}

}  // namespace nas::target
