#include "space/space_file_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/ranges.h>

namespace nas::space {

namespace {

constexpr int64_t kMaxOptions = 100000;

bool is_choice_name(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

std::optional<double> parse_number(const std::string& s) {
  double v = 0;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

}  // namespace

void SpaceFileReader::add_choice(const YAML::Node& key, const YAML::Node& value) {
  const std::string name = key.IsScalar() ? key.Scalar() : std::string();
  if (!is_choice_name(name))
    fail(key, "choice name '{}' must start with a letter or '_' and contain only letters, "
              "digits, '_' and '.'", name);
  // A name given twice is refused when the file is read (a key repeated in 'choices').
  if (value.IsMap()) return add_range_choice(name, key, value);
  const std::string path = "choices." + name;
  if (!value.IsSequence())
    yaml_.fail_expected(value, path, "a list of options or a {range, step} map");
  if (value.size() == 0) fail(value, "choice '{}' has an empty list of options", name);

  Decision d{.name = name};
  ChoiceSource source{.key = key};
  bool numeric = true;
  for (size_t i = 0; i < value.size(); ++i) {
    const YAML::Node option = value[i];
    if (!option.IsScalar() || option.Scalar().empty())
      yaml_.fail_expected(option, yaml_.item_path(path, i), "a value such as 3 or relu");
    const std::string& label = option.Scalar();
    if (label.find(',') != std::string::npos)
      fail(option, "choice '{}': option '{}' contains a comma", name, label);
    if (std::find(d.labels.begin(), d.labels.end(), label) != d.labels.end())
      fail(option, "choice '{}' lists option '{}' twice", name, label);
    d.labels.push_back(label);
    const auto number = parse_number(label);
    numeric = numeric && number.has_value();
    if (number) d.values.push_back(*number);
    source.options.push_back(option);
  }
  d.ordered = numeric;
  if (!numeric) d.values.clear();  // categorical: SearchSpace numbers the options
  decisions_.push_back(std::move(d));
  sources_.push_back(std::move(source));
}

void SpaceFileReader::add_range_choice(const std::string& name, const YAML::Node& key,
                                       const YAML::Node& map) {
  const std::string path = "choices." + name;
  expect_map(map, path, {"range", "step"}, 1);
  const YAML::Node range = map["range"];
  std::optional<int64_t> lo, hi;
  if (range.IsSequence() && range.size() == 2 && range[0].IsScalar() && range[1].IsScalar()) {
    lo = parse_integer(range[0].Scalar());
    hi = parse_integer(range[1].Scalar());
  }
  if (!lo || !hi) yaml_.fail_expected(range, path + ".range", "[lo, hi] with integers lo <= hi");
  if (*lo > *hi) fail(range, "choice '{}': range [{}, {}] is empty (lo > hi)", name, *lo, *hi);
  int64_t step = 1;
  if (map["step"]) step = yaml_.integer(map["step"], path + ".step", 1);
  if ((*hi - *lo) / step + 1 > kMaxOptions)
    fail(range, "choice '{}': range [{}, {}] with step {} has more than {} options", name, *lo,
         *hi, step, kMaxOptions);
  Decision d{.name = name, .ordered = true};
  for (int64_t v = *lo; v <= *hi; v += step) {
    d.labels.push_back(std::to_string(v));
    d.values.push_back(static_cast<double>(v));
  }
  decisions_.push_back(std::move(d));
  sources_.push_back({.key = key});
}

Setting SpaceFileReader::setting(const YAML::Node& value, const std::string& path,
                                 const ValueKind& kind) {
  if (!value.IsScalar() || value.Scalar().empty() ||
      (value.Scalar()[0] != '$' && !kind.accepts(value.Scalar())))
    yaml_.fail_expected(value, path, kind.expected + " or a $choice");
  Setting s{.path = path, .location = where(value)};
  const std::string& text = value.Scalar();
  if (text[0] != '$') {
    s.literal = text;
    return s;
  }
  const std::string name = text.substr(1);
  auto it = std::find_if(decisions_.begin(), decisions_.end(),
                         [&](const Decision& d) { return d.name == name; });
  if (it == decisions_.end()) {
    std::vector<std::string> names;
    for (const Decision& d : decisions_) names.push_back(d.name);
    const std::optional<std::string> near = yaml::closest_word(name, names);
    fail(value, "key '{}': '{}' is not a choice{}; choices: {}", path, text,
         near ? fmt::format(" (did you mean '${}'?)", *near) : "", fmt::join(names, ", "));
  }
  s.decision = it - decisions_.begin();
  ChoiceSource& source = sources_[s.decision];
  source.used = true;
  for (size_t i = 0; i < it->labels.size(); ++i)
    if (!kind.accepts(it->labels[i]))
      fail(source.options.empty() ? source.key : source.options[i],
           "option '{}' of choice '{}' is not valid for '{}' (expected {})", it->labels[i],
           name, path, kind.expected);
  return s;
}

void SpaceFileReader::check_choices_used() const {
  for (size_t i = 0; i < decisions_.size(); ++i)
    if (!sources_[i].used)
      fail(sources_[i].key, "choice '{}' is not used by the network (refer to it as ${})",
           decisions_[i].name, decisions_[i].name);
}

}  // namespace nas::space
