#include "space/space_file.h"

#include <filesystem>

#include <fmt/format.h>

#include "space/cell_template.h"
#include "space/macro_template.h"
#include "space/space_file_reader.h"

namespace nas::space {

namespace {

NetworkIo read_io(const YAML::Node& root, const SpaceFileReader& reader) {
  const YAML::Node input = root["input"];
  if (!input.IsSequence() || input.size() != 3)
    reader.yaml().fail_expected(input, "input", "an image shape [channels, height, width]");
  NetworkIo io;
  io.channels = reader.positive_integer(input[0], "input[0]");
  io.height = reader.positive_integer(input[1], "input[1]");
  io.width = reader.positive_integer(input[2], "input[2]");
  io.classes = reader.positive_integer(root["classes"], "classes");
  return io;
}

// Decodes two extreme architectures so that a space whose networks cannot be built is
// refused at load.
void check_decodes(const SearchSpace& space, const YAML::Node& network,
                   const SpaceFileReader& reader) {
  Architecture first, last;
  for (const Decision& d : space.decisions()) {
    first.choices.push_back(0);
    last.choices.push_back(static_cast<int32_t>(d.labels.size()) - 1);
  }
  for (const auto& [arch, which] : {std::pair{first, "first"}, std::pair{last, "last"}}) {
    try {
      (void)space.decode(arch, 1);
    } catch (const UserError& e) {
      reader.fail(network, "the network of architecture '{}' (the {} option of every choice) "
                           "cannot be built: {}",
                  space.to_string(arch), which, e.what());
    }
  }
}

}  // namespace

SearchSpace load_space(const std::string& path) {
  SpaceFileReader reader(path);
  const YAML::Node root = reader.load();
  reader.expect_map(root, "", {"input", "classes", "choices", "network", "name"}, 4);
  const std::string name = root["name"]
                               ? reader.scalar(root["name"], "name")
                               : std::filesystem::path(path).stem().string();
  const NetworkIo io = read_io(root, reader);

  const YAML::Node choices = root["choices"];
  if (!choices.IsMap() || choices.size() == 0)
    reader.yaml().fail_expected(choices, "choices", "a map from choice names to options");
  for (const auto& entry : choices) reader.add_choice(entry.first, entry.second);

  const YAML::Node network = root["network"];
  if (!network.IsMap() || !network["template"])
    reader.yaml().fail_expected(network, "network", "a map with a 'template' key (macro or cell)");
  const std::string kind = reader.yaml().one_of(network["template"], "network.template",
                                                {"macro", "cell"});
  std::shared_ptr<const NetworkTemplate> tmpl;
  if (kind == "macro")
    tmpl = read_macro_template(network, io, reader);
  else if (kind == "cell")
    tmpl = read_cell_template(network, io, reader);
  else
    NAS_CHECK(false, "template '{}' passed one_of", kind);
  reader.check_choices_used();

  SearchSpace space(name, reader.decisions(), std::move(tmpl));
  check_decodes(space, network, reader);
  return space;
}

}  // namespace nas::space
