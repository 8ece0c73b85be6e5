#include "space/space_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "space/cell_template.h"
#include "space/macro_template.h"
#include "space/space_file_reader.h"

namespace nas::space {

namespace {

NetworkIo read_io(const YAML::Node& root, const SpaceFileReader& reader) {
  const YAML::Node input = root["input"];
  if (!input.IsSequence() || input.size() != 3)
    reader.fail(input, "'input' expected an image shape [channels, height, width]");
  NetworkIo io;
  io.channels = reader.positive_integer(input[0], "input[0] (channels)");
  io.height = reader.positive_integer(input[1], "input[1] (height)");
  io.width = reader.positive_integer(input[2], "input[2] (width)");
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
  std::ifstream in(path, std::ios::binary);
  if (!in) user_error("cannot read space file '{}'", path);
  std::stringstream text;
  text << in.rdbuf();
  SpaceFileReader reader(path);
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::ParserException& e) {
    user_error("{}: invalid YAML: {}", reader.where(e.mark), e.msg);
  }
  if (!root.IsMap())
    user_error("{}: expected a map with keys name, input, classes, choices, network", path);
  reader.expect_map(root, "", {"input", "classes", "choices", "network", "name"}, 4);
  const std::string name = root["name"]
                               ? reader.scalar(root["name"], "name")
                               : std::filesystem::path(path).stem().string();
  const NetworkIo io = read_io(root, reader);

  const YAML::Node choices = root["choices"];
  if (!choices.IsMap() || choices.size() == 0)
    reader.fail(choices, "'choices' expected a map from choice names to options");
  for (const auto& entry : choices) reader.add_choice(entry.first, entry.second);

  const YAML::Node network = root["network"];
  if (!network.IsMap() || !network["template"])
    reader.fail(network, "'network' expected a map with a 'template' key (macro or cell)");
  const std::string kind = reader.scalar(network["template"], "network.template");
  std::shared_ptr<const NetworkTemplate> tmpl;
  if (kind == "macro")
    tmpl = read_macro_template(network, io, reader);
  else if (kind == "cell")
    tmpl = read_cell_template(network, io, reader);
  else
    reader.fail(network["template"], "unknown template '{}' in 'network.template' (expected: "
                                     "macro, cell)", kind);
  reader.check_choices_used();

  SearchSpace space(name, reader.decisions(), std::move(tmpl));
  check_decodes(space, network, reader);
  return space;
}

}  // namespace nas::space
