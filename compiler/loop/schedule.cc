// Schedules as data: the chainable builders, the text form and JSON. Lowering a schedule
// lives in schedule_lower.cc, random schedules in random_schedule.cc.
#include "compiler/loop/schedule.h"

#include <array>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"

namespace nas::loop {

namespace {

constexpr std::array<StepKind, 10> kAllKinds = {
    StepKind::Split,      StepKind::Fuse,      StepKind::Reorder,       StepKind::Vectorize,
    StepKind::Unroll,     StepKind::Parallel,  StepKind::CacheWrite,    StepKind::ComputeAt,
    StepKind::ComputeInline, StepKind::Prefetch};

ScheduleStep make_step(StepKind kind, const std::string& stage, std::vector<std::string> axes) {
  ScheduleStep step;
  step.kind = kind;
  step.stage = stage;
  step.axes = std::move(axes);
  return step;
}

// How many axes each kind takes (-1: one or more).
int axis_count(StepKind kind) {
  switch (kind) {
    case StepKind::Fuse: return 2;
    case StepKind::Reorder: return -1;
    case StepKind::ComputeInline: return 0;
    default: return 1;
  }
}

}  // namespace

std::string_view step_kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::Split: return "split";
    case StepKind::Fuse: return "fuse";
    case StepKind::Reorder: return "reorder";
    case StepKind::Vectorize: return "vectorize";
    case StepKind::Unroll: return "unroll";
    case StepKind::Parallel: return "parallel";
    case StepKind::CacheWrite: return "cache_write";
    case StepKind::ComputeAt: return "compute_at";
    case StepKind::ComputeInline: return "compute_inline";
    case StepKind::Prefetch: return "prefetch";
  }
  return "?";
}

Schedule& Schedule::split(const std::string& stage, const std::string& axis, int64_t factor) {
  ScheduleStep step = make_step(StepKind::Split, stage, {axis});
  step.factor = factor;
  steps.push_back(std::move(step));
  return *this;
}

Schedule& Schedule::fuse(const std::string& stage, const std::string& outer,
                         const std::string& inner) {
  steps.push_back(make_step(StepKind::Fuse, stage, {outer, inner}));
  return *this;
}

Schedule& Schedule::reorder(const std::string& stage, std::vector<std::string> order) {
  steps.push_back(make_step(StepKind::Reorder, stage, std::move(order)));
  return *this;
}

Schedule& Schedule::tile(const std::string& stage, const std::string& x, const std::string& y,
                         int64_t x_factor, int64_t y_factor) {
  split(stage, x, x_factor);
  split(stage, y, y_factor);
  return reorder(stage, {x + ".o", y + ".o", x + ".i", y + ".i"});
}

Schedule& Schedule::vectorize(const std::string& stage, const std::string& axis) {
  steps.push_back(make_step(StepKind::Vectorize, stage, {axis}));
  return *this;
}

Schedule& Schedule::unroll(const std::string& stage, const std::string& axis) {
  steps.push_back(make_step(StepKind::Unroll, stage, {axis}));
  return *this;
}

Schedule& Schedule::parallel(const std::string& stage, const std::string& axis) {
  steps.push_back(make_step(StepKind::Parallel, stage, {axis}));
  return *this;
}

Schedule& Schedule::cache_write(const std::string& stage, const std::string& at_axis,
                                MemoryScope scope) {
  ScheduleStep step = make_step(StepKind::CacheWrite, stage, {at_axis});
  step.scope = scope;
  steps.push_back(std::move(step));
  return *this;
}

Schedule& Schedule::compute_at(const std::string& producer, const std::string& consumer,
                               const std::string& consumer_axis) {
  ScheduleStep step = make_step(StepKind::ComputeAt, producer, {consumer_axis});
  step.target = consumer;
  steps.push_back(std::move(step));
  return *this;
}

Schedule& Schedule::compute_inline(const std::string& stage) {
  steps.push_back(make_step(StepKind::ComputeInline, stage, {}));
  return *this;
}

Schedule& Schedule::prefetch(const std::string& stage, const std::string& tensor,
                             const std::string& axis, int64_t offset) {
  ScheduleStep step = make_step(StepKind::Prefetch, stage, {axis});
  step.target = tensor;
  step.factor = offset;
  steps.push_back(std::move(step));
  return *this;
}

std::string Schedule::str() const {
  std::string out;
  for (const ScheduleStep& s : steps) {
    const std::string axis = s.axes.empty() ? "" : s.axes[0];
    switch (s.kind) {
      case StepKind::Split: out += fmt::format("split {}.{} by {}", s.stage, axis, s.factor); break;
      case StepKind::Fuse: out += fmt::format("fuse {}.{} {}", s.stage, axis, s.axes.at(1)); break;
      case StepKind::Reorder:
        out += fmt::format("reorder {}: {}", s.stage, fmt::join(s.axes, " "));
        break;
      case StepKind::CacheWrite:
        out += fmt::format("cache_write {} at {} ({})", s.stage, axis, memory_scope_name(s.scope));
        break;
      case StepKind::ComputeAt:
        out += fmt::format("compute_at {} at {}.{}", s.stage, s.target, axis);
        break;
      case StepKind::ComputeInline: out += fmt::format("compute_inline {}", s.stage); break;
      case StepKind::Prefetch:
        out += fmt::format("prefetch {} in {}.{} + {}", s.target, s.stage, axis, s.factor);
        break;
      default: out += fmt::format("{} {}.{}", step_kind_name(s.kind), s.stage, axis); break;
    }
    out += "\n";
  }
  return out;
}

nlohmann::json Schedule::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const ScheduleStep& s : steps) {
    nlohmann::json j = {{"kind", step_kind_name(s.kind)}, {"stage", s.stage}, {"axes", s.axes}};
    if (s.kind == StepKind::Split) j["factor"] = s.factor;
    if (s.kind == StepKind::CacheWrite) j["scope"] = memory_scope_name(s.scope);
    if (s.kind == StepKind::ComputeAt || s.kind == StepKind::Prefetch) j["target"] = s.target;
    if (s.kind == StepKind::Prefetch) j["factor"] = s.factor;
    list.push_back(std::move(j));
  }
  return nlohmann::json{{"steps", std::move(list)}};
}

namespace {

std::string string_field(const nlohmann::json& j, const char* field, size_t index) {
  if (!j.contains(field)) user_error("schedule step {}: missing \"{}\"", index, field);
  if (!j[field].is_string())
    user_error("schedule step {}: \"{}\" must be a string, not {}", index, field, j[field].dump());
  return j[field].get<std::string>();
}

}  // namespace

Schedule Schedule::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("steps"))
    user_error("schedule: expected an object with a \"steps\" list, got {}", j.dump());
  const nlohmann::json& list = j["steps"];
  if (!list.is_array()) user_error("schedule: \"steps\" must be a list, not {}", list.dump());
  Schedule schedule;
  for (size_t index = 0; index < list.size(); ++index) {
    const nlohmann::json& js = list[index];
    if (!js.is_object()) user_error("schedule step {}: expected an object, got {}", index, js.dump());
    const std::string kind_name = string_field(js, "kind", index);
    ScheduleStep step;
    bool known = false;
    for (StepKind kind : kAllKinds)
      if (step_kind_name(kind) == kind_name) step.kind = kind, known = true;
    if (!known)
      user_error("schedule step {}: unknown kind \"{}\" (expected split, fuse, reorder, vectorize, "
                 "unroll, parallel, cache_write, compute_at, compute_inline or prefetch)",
                 index, kind_name);
    step.stage = string_field(js, "stage", index);
    if (js.contains("axes")) {
      if (!js["axes"].is_array()) user_error("schedule step {}: \"axes\" must be a list", index);
      for (const nlohmann::json& a : js["axes"]) {
        if (!a.is_string())
          user_error("schedule step {}: axis {} is not a string", index, a.dump());
        step.axes.push_back(a.get<std::string>());
      }
    }
    const int count = axis_count(step.kind);
    if (count >= 0 && static_cast<int>(step.axes.size()) != count)
      user_error("schedule step {} ({}): expected {} axes, got {}", index, kind_name, count,
                 step.axes.size());
    if (count < 0 && step.axes.empty())
      user_error("schedule step {} ({}): expected at least one axis", index, kind_name);
    if (step.kind == StepKind::Split) {
      if (!js.contains("factor") || !js["factor"].is_number_integer())
        user_error("schedule step {} (split): \"factor\" must be an integer", index);
      step.factor = js["factor"].get<int64_t>();
      if (step.factor < 1)
        user_error("schedule step {} (split): factor {} is not positive", index, step.factor);
    }
    if (step.kind == StepKind::CacheWrite) {
      const std::string scope = string_field(js, "scope", index);
      if (scope == memory_scope_name(MemoryScope::Local)) step.scope = MemoryScope::Local;
      else if (scope == memory_scope_name(MemoryScope::Register)) step.scope = MemoryScope::Register;
      else user_error("schedule step {} (cache_write): unknown scope \"{}\" (local or register)",
                      index, scope);
    }
    if (step.kind == StepKind::ComputeAt) step.target = string_field(js, "target", index);
    if (step.kind == StepKind::Prefetch) {
      step.target = string_field(js, "target", index);
      if (!js.contains("factor") || !js["factor"].is_number_integer())
        user_error("schedule step {} (prefetch): \"factor\" must be an integer", index);
      step.factor = js["factor"].get<int64_t>();
      if (step.factor < 1)
        user_error("schedule step {} (prefetch): offset {} is not positive", index, step.factor);
    }
    schedule.steps.push_back(std::move(step));
  }
  return schedule;
}

}  // namespace nas::loop
