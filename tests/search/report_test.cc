// The end-of-search outputs: results.csv/json, pareto.csv, report.html, the winners'
// export, and the `nas report` / `nas export` commands.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/graph/reference_executor.h"
#include "compiler/onnx/onnx_import.h"
#include "evaluator/data/synthetic.h"
#include "search/final_epochs.h"
#include "search/report.h"
#include "search/report_charts.h"
#include "search/report_html.h"
#include "search/winners.h"
#include "tests/cli/cli_util.h"
#include "tests/test_util.h"

namespace nas::search {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using nas::testing::slurp;
using nas::testing::TempDir;
using nas::testing::user_error_message;

space::SearchSpace toy_space(std::shared_ptr<const space::NetworkTemplate> network = nullptr) {
  return space::SearchSpace("toy",
                            {{"width", {"4", "8", "16"}, {4, 8, 16}, true},
                             {"act", {"relu", "hswish"}, {}, false}},
                            std::move(network));
}

const std::vector<ObjectiveSpec> kObjectives = {{"accuracy", true}, {"latency:host", false}};
const std::vector<ConstraintSpec> kConstraints = {{"latency:host", 1.0}};

TrialRecord ok_record(int64_t id, std::string arch, double accuracy, double latency_ms,
                      int64_t fidelity = 1) {
  TrialRecord r;
  r.id = id;
  r.batch = id / 4;
  r.arch = std::move(arch);
  r.fidelity = fidelity;
  r.seed = 1000 + id;
  r.seconds = 0.5 + id;
  r.result.accuracy = accuracy;
  r.result.latency["host"].median_ms = latency_ms;
  r.result.latency["host"].repeats = 10;
  r.result.cost.parameters = 100 * (id + 1);
  r.result.cost.flops = 2000 * (id + 1);
  r.result.loss_curve = {2.0, 1.5};
  return r;
}

// A known front {5, 1, 6, 0}; 2 breaks the constraint, 3 is dominated and superseded by 6,
// 4 failed (its reason needs CSV quoting).
std::vector<TrialRecord> hand_built_records() {
  std::vector<TrialRecord> records = {
      ok_record(0, "4,relu", 0.70, 0.2),   ok_record(1, "8,relu", 0.80, 0.5),
      ok_record(2, "16,relu", 0.90, 1.5),  ok_record(3, "4,hswish", 0.65, 0.4, 1),
      ok_record(4, "8,hswish", 0, 0),      ok_record(5, "16,hswish", 0.85, 0.9),
      ok_record(6, "4,hswish", 0.75, 0.4, 2)};
  records[0].result.latency["host"].untuned_median_ms = 0.25;  // tuned from 0.25 to 0.2
  records[4].result = {};
  records[4].result.status = evaluator::EvalStatus::Failed;
  records[4].result.reason = "kernel \"conv\" failed, twice\nsecond line";
  return records;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find("\r\n", start)) != std::string::npos; start = end + 2)
    lines.push_back(text.substr(start, end - start));
  return lines;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Report, CsvFieldQuotesPerRfc4180) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("8,relu"), "\"8,relu\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("a\nb"), "\"a\nb\"");
  EXPECT_EQ(csv_field("a\rb"), "\"a\rb\"");
}

TEST(Report, StandingsFindTheFeasibleFront) {
  const std::vector<TrialRecord> records = hand_built_records();
  const std::vector<TrialStanding> s = rank_trials(records, toy_space(), kObjectives, kConstraints);
  std::vector<bool> front, feasible, superseded;
  for (const TrialStanding& t : s) {
    front.push_back(t.on_front);
    feasible.push_back(t.feasible);
    superseded.push_back(t.superseded);
  }
  EXPECT_THAT(front, ElementsAre(true, true, false, false, false, true, true));
  EXPECT_THAT(feasible, ElementsAre(true, true, false, true, false, true, true));
  EXPECT_THAT(superseded, ElementsAre(false, false, false, true, false, false, false));
  EXPECT_DOUBLE_EQ(s[2].violation, 0.5);
  EXPECT_THAT(front_order(records, s), ElementsAre(5, 1, 6, 0));
}

TEST(Report, ResultsAndParetoCsv) {
  TempDir dir;
  write_results(dir.path(), hand_built_records(), toy_space(), kObjectives, kConstraints);
  const std::string header =
      "id,batch,arch,fidelity,seed,status,reason,feasible,on_front,violation,accuracy,"
      "test_accuracy,params,flops,peak_memory,model_bytes,latency:host,untuned_latency:host,"
      "step_ms,training_seconds,seconds";
  const std::string results = slurp((dir / "results.csv").string());
  const std::vector<std::string> rows = lines_of(results);
  ASSERT_EQ(rows.size(), 8u);  // the failure's reason holds a bare LF, inside its quotes
  EXPECT_EQ(rows[0], header);
  EXPECT_EQ(rows[1], "0,0,\"4,relu\",1,1000,ok,,1,1,0,0.7,,100,2000,0,0,0.2,0.25,0,0,0.5");
  EXPECT_EQ(rows[3], "2,0,\"16,relu\",1,1002,ok,,0,0,0.5,0.9,,300,6000,0,0,1.5,,0,0,2.5");
  EXPECT_EQ(rows[5],
            "4,1,\"8,hswish\",1,1004,failed,\"kernel \"\"conv\"\" failed, twice\nsecond line\","
            "0,0,,0,,0,0,0,0,,,0,0,4.5");

  const std::vector<std::string> pareto = lines_of(slurp((dir / "pareto.csv").string()));
  ASSERT_EQ(pareto.size(), 5u);
  EXPECT_EQ(pareto[0], header);
  std::vector<std::string> ids;
  for (size_t i = 1; i < pareto.size(); ++i) ids.push_back(pareto[i].substr(0, pareto[i].find(',')));
  EXPECT_THAT(ids, ElementsAre("5", "1", "6", "0"));
}

TEST(Report, HypervolumeOfTheFeasibleTrialsAgainstTheConstraintBound) {
  const std::vector<TrialRecord> records = hand_built_records();
  const std::vector<TrialStanding> s = rank_trials(records, toy_space(), kObjectives, kConstraints);
  EXPECT_THAT(*hypervolume_reference(kObjectives, kConstraints), ElementsAre(0.0, 1.0));
  // Feasible and current: (latency, accuracy) (0.2, .70), (0.4, .75), (0.5, .80), (0.9, .85);
  // by latency slices up to the bound 1.0: .70*.2 + .75*.1 + .80*.4 + .85*.1 = 0.62.
  EXPECT_NEAR(*experiment_hypervolume(s, kObjectives, kConstraints), 0.62, 1e-12);
  const nlohmann::json summary =
      results_json(records, toy_space(), kObjectives, kConstraints).at("summary");
  EXPECT_EQ(summary.at("trials"), 7);
  EXPECT_EQ(summary.at("ok"), 6);
  EXPECT_EQ(summary.at("feasible"), 5);
  EXPECT_EQ(summary.at("front"), 4);
  EXPECT_NEAR(summary.at("hypervolume").get<double>(), 0.62, 1e-12);
  // A minimised objective without a bound has no fixed reference: no hypervolume.
  EXPECT_FALSE(hypervolume_reference({{"accuracy", true}, {"params", false}}, kConstraints));
  EXPECT_TRUE(results_json(records, toy_space(), {{"accuracy", true}, {"params", false}},
                           kConstraints).at("summary").at("hypervolume").is_null());
}

TEST(Report, ResultsJsonRoundTrips) {
  TempDir dir;
  const std::vector<TrialRecord> records = hand_built_records();
  write_results(dir.path(), records, toy_space(), kObjectives, kConstraints);
  const nlohmann::json written = nlohmann::json::parse(slurp((dir / "results.json").string()));
  EXPECT_EQ(written["trials"][1]["arch_json"], (nlohmann::json{{"width", "8"}, {"act", "relu"}}));
  EXPECT_EQ(written["trials"][5]["on_front"], true);

  const Experiment e = load_experiment(dir.path());
  ASSERT_EQ(e.records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(e.records[i].id, records[i].id);
    EXPECT_EQ(e.records[i].batch, records[i].batch);
    EXPECT_EQ(e.records[i].arch, records[i].arch);
    EXPECT_EQ(e.records[i].fidelity, records[i].fidelity);
    EXPECT_EQ(e.records[i].seed, records[i].seed);
    EXPECT_EQ(e.records[i].seconds, records[i].seconds);
    EXPECT_EQ(e.records[i].result.to_json(), records[i].result.to_json());
  }
  EXPECT_EQ(e.space.decisions().size(), 2u);
  EXPECT_EQ(e.objectives.size(), 2u);
  EXPECT_TRUE(e.objectives[0].maximize);
  EXPECT_EQ(e.constraints[0].metric, "latency:host");
  EXPECT_EQ(results_json(e.records, e.space, e.objectives, e.constraints), written);
}

TEST(Report, LoadErrorsNameTheFile) {
  TempDir dir;
  EXPECT_THAT(user_error_message([&] { load_experiment(dir.path()); }),
              HasSubstr((dir / "results.json").string() + ": no such file"));
  std::ofstream(dir / "results.json") << "{\"space\": ";
  EXPECT_THAT(user_error_message([&] { load_experiment(dir.path()); }),
              HasSubstr("results.json: not valid JSON"));
  std::ofstream(dir / "results.json") << R"({"space": {"name": "s", "decisions": []}})";
  EXPECT_THAT(user_error_message([&] { load_experiment(dir.path()); }),
              HasSubstr("results.json: malformed results"));
  std::ofstream(dir / "results.json")
      << R"({"space": {"name": "s", "decisions": []}, "objectives": [{"metric": "speed",
            "maximize": true}], "constraints": [], "trials": []})";
  EXPECT_THAT(user_error_message([&] { load_experiment(dir.path()); }),
              HasSubstr("results.json: unknown metric 'speed'"));
}

TEST(ReportHtml, OneMarkPerEvaluatedCandidateAndTheConstraintLine) {
  const std::string html =
      report_html(hand_built_records(), toy_space(), kObjectives, kConstraints);
  EXPECT_EQ(count(html, "<circle class=\"candidate"), 6u);  // the failed trial is in a table
  EXPECT_EQ(count(html, "<circle class=\"candidate front"), 4u);
  EXPECT_EQ(count(html, "<circle class=\"candidate infeasible"), 1u);
  EXPECT_EQ(count(html, "<circle class=\"candidate feasible superseded"), 1u);
  EXPECT_EQ(count(html, "<line class=\"constraint\""), 1u);
  EXPECT_THAT(html, HasSubstr("latency:host &lt;= 1</text>"));
  EXPECT_THAT(html, HasSubstr("<path class=\"front-line\""));
  EXPECT_THAT(html, HasSubstr("<title>trial 5 (fidelity 1, front): 16,hswish\naccuracy = 0.85\n"
                              "latency:host = 0.9 ms\nparams = 600"));
  EXPECT_THAT(html, HasSubstr("kernel &quot;conv&quot; failed"));
  // Self-contained: nothing to fetch.
  for (const char* external : {"http:", "https:", "src=", "<link", "@import", "url("})
    EXPECT_THAT(html, Not(HasSubstr(external))) << external;
  EXPECT_EQ(html, report_html(hand_built_records(), toy_space(), kObjectives, kConstraints));
}

// Where the search tuned, the front table and the hover text also show each candidate's
// latency with the default schedules; untuned searches show no such column.
TEST(ReportHtml, ShowsTheUntunedLatencyWhereTheSearchTuned) {
  std::vector<TrialRecord> records = hand_built_records();
  for (TrialRecord& r : records) r.result.latency["host"].untuned_median_ms = 0;
  EXPECT_THAT(report_html(records, toy_space(), kObjectives, kConstraints),
              Not(HasSubstr("untuned_latency")));
  records[5].result.latency["host"].untuned_median_ms = 1.25;  // trial 5 alone was tuned
  const std::string html = report_html(records, toy_space(), kObjectives, kConstraints);
  EXPECT_THAT(html, HasSubstr("<th>untuned_latency:host (ms)</th>"));
  EXPECT_THAT(html, HasSubstr("latency:host = 0.9 ms\nuntuned_latency:host = 1.25 ms\n"));
  EXPECT_THAT(html, HasSubstr("<td>0.9</td><td>1.25</td>"));  // trial 5's row of the front
  EXPECT_THAT(html, HasSubstr("latency:host = 0.5 ms\nparams = 200"));  // trial 1: not tuned
}

// A candidate ruled out by its latency before training: counted, in the latency-FLOPs
// chart (its latency was measured), but not plotted or tabled with an accuracy it never had.
TEST(ReportHtml, ACandidateNotTrainedHasNoAccuracy) {
  std::vector<TrialRecord> records = hand_built_records();
  records.push_back(ok_record(7, "8,hswish", 0, 2.5));  // supersedes the failed trial 4
  records[7].result.status = evaluator::EvalStatus::Infeasible;
  records[7].result.reason = "latency:host 2.5 > 1";
  records[7].result.loss_curve.clear();
  const std::vector<TrialStanding> standings =
      rank_trials(records, toy_space(), kObjectives, kConstraints);
  EXPECT_TRUE(standings[7].ok);
  EXPECT_FALSE(standings[7].trained);
  EXPECT_FALSE(standings[7].feasible);
  const nlohmann::json summary =
      results_json(records, toy_space(), kObjectives, kConstraints).at("summary");
  EXPECT_EQ(summary.at("ok"), 7);
  EXPECT_EQ(summary.at("not_trained"), 1);
  EXPECT_EQ(summary.at("feasible"), 5);
  TempDir dir;
  write_results(dir.path(), records, toy_space(), kObjectives, kConstraints);
  EXPECT_EQ(lines_of(slurp((dir / "results.csv").string())).back(),
            "7,1,\"8,hswish\",1,1007,infeasible,latency:host 2.5 > 1,0,0,1.5,,,800,16000,0,0,2.5,"
            ",0,0,7.5");
  const std::string html = report_html(records, toy_space(), kObjectives, kConstraints);
  EXPECT_THAT(html, HasSubstr("8 trials: 7 evaluated, 1 failed, 1 not trained for breaking a "
                              "constraint, 0 stopped early, 5 feasible, 4 on the front."));
  EXPECT_EQ(count(html, "<circle class=\"candidate"), 6u);  // as without it
  EXPECT_THAT(html, HasSubstr("Over 6 architectures, Kendall&#39;s tau between FLOPs and "));
}

// How the search went: the front over trials and wall time, each batch, latency against
// FLOPs with Kendall's tau, each decision's share of the variance, and the winners.
TEST(ReportHtml, ShowsHowTheSearchWent) {
  std::vector<TrialRecord> records = hand_built_records();
  for (size_t i = 0; i < records.size(); ++i)
    records[i].finished = fmt::format("2026-12-06T10:{:02d}:00Z", 10 + i);
  const nlohmann::json winners = {
      {"winners",
       {{{"rank", 1}, {"picked_for", "latency:host <= 0.5"}, {"trial", 1}, {"arch", "8,relu"},
         {"test_accuracy", 0.81}, {"latency_ms", {{"host", 0.45}}}, {"file", "1_ab.onnx"},
         {"final_result", {{"cost", {{"parameters", 200}}}}}}}}};
  const std::string html =
      report_html(records, toy_space(), kObjectives, kConstraints, &winners);
  EXPECT_THAT(html, HasSubstr("<svg class=\"chart\" id=\"hypervolume-by-trial\""));
  EXPECT_THAT(html, HasSubstr("<svg class=\"chart\" id=\"hypervolume-by-time\""));
  const double volume =
      *experiment_hypervolume(rank_trials(records, toy_space(), kObjectives, kConstraints),
                              kObjectives, kConstraints);
  EXPECT_THAT(html, HasSubstr(fmt::format("larger is better): {:.6g} after 7 trials.", volume)));
  EXPECT_THAT(html, HasSubstr("id=\"by-batch-accuracy\""));
  EXPECT_THAT(html, HasSubstr("id=\"by-batch-latency:host\""));
  // FLOPs grow with the trial id here, latency does not: 6 of 10 pairs agree, 4 do not.
  EXPECT_THAT(html, HasSubstr("Over 5 architectures, Kendall&#39;s tau between FLOPs and "
                              "latency:host is 0.200; FLOPs order 4 of 10 pairs the other way "
                              "round from the measured latency."));
  EXPECT_THAT(html, HasSubstr("<table id=\"importance\">"));
  EXPECT_THAT(html, HasSubstr("<td class=\"arch\">width</td>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"arch\">act</td>"));
  EXPECT_THAT(html, HasSubstr("<a href=\"winners/1_ab.onnx\">1_ab.onnx</a>"));
  EXPECT_THAT(html, HasSubstr("<td>latency:host &lt;= 0.5</td>"));
  // Without commit times there is no wall-time chart; without winners no winners table.
  const std::string plain = report_html(hand_built_records(), toy_space(), kObjectives,
                                        kConstraints);
  EXPECT_THAT(plain, Not(HasSubstr("hypervolume-by-time")));
  EXPECT_THAT(plain, Not(HasSubstr("<table id=\"winners\">")));
  EXPECT_THAT(plain, HasSubstr("hypervolume-by-trial"));
}

TEST(ReportCharts, KendallTauAndExplainedVariance) {
  EXPECT_NEAR(*kendall_tau({1, 2, 3, 4}, {1, 3, 2, 4}), 4.0 / 6, 1e-12);
  EXPECT_NEAR(*kendall_tau({1, 1, 2}, {1, 2, 3}), 2 / std::sqrt(6.0), 1e-12);  // tau-b ties
  EXPECT_NEAR(*kendall_tau({1, 2, 3}, {3, 2, 1}), -1, 1e-12);
  EXPECT_EQ(kendall_tau({1, 1, 1}, {1, 2, 3}), std::nullopt);
  EXPECT_EQ(kendall_tau({1}, {1}), std::nullopt);
  EXPECT_DOUBLE_EQ(explained_variance({0, 0, 1, 1}, {1, 1, 3, 3}), 1);
  EXPECT_DOUBLE_EQ(explained_variance({0, 0, 1, 1}, {1, 3, 1, 3}), 0);
  EXPECT_DOUBLE_EQ(explained_variance({0, 0, 1, 1}, {1, 2, 3, 4}), 0.8);
  EXPECT_DOUBLE_EQ(explained_variance({0, 1}, {2, 2}), 0);
}

TEST(ReportHtml, EscapesAndAxes) {
  EXPECT_EQ(html_escape("<a href=\"x\">O'Neil & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;");
  PlotAxes a = choose_plot_axes(kObjectives, kConstraints);
  EXPECT_EQ(a.x, "latency:host");
  EXPECT_EQ(a.y, "accuracy");
  a = choose_plot_axes({{"accuracy", true}}, {{"peak_memory", 1e6}});
  EXPECT_EQ(a.x, "peak_memory");
  a = choose_plot_axes({{"params", false}, {"flops", false}}, {});
  EXPECT_EQ(a.y, "params");
  EXPECT_EQ(a.x, "flops");
}

TEST(Winners, PickTheFrontThenTheOtherFeasibleTrials) {
  std::vector<TrialRecord> records = hand_built_records();
  records.push_back(ok_record(7, "8,hswish", 0.60, 0.8));  // feasible, dominated
  EXPECT_THAT(pick_winners(records, toy_space(), kObjectives, kConstraints, 3),
              ElementsAre(5, 1, 6));
  EXPECT_THAT(pick_winners(records, toy_space(), kObjectives, kConstraints, 10),
              ElementsAre(5, 1, 6, 0, 7));
  EXPECT_EQ(user_error_message(
                [&] { pick_winners(records, toy_space(), kObjectives, kConstraints, 0); }),
            "the number of winners to export must be at least 1 (got 0)");
}

TEST(Winners, EachBudgetPicksTheBestWithinItThenTheTopK) {
  std::vector<TrialRecord> records = hand_built_records();
  records.push_back(ok_record(7, "8,hswish", 0.60, 0.8));  // feasible, dominated
  const WinnerSelection selection{
      .budgets = {{{"latency:host", 0.45}}, {{"latency:host", 0.1}}, {{"latency:host", 0.6}},
                  {{"latency:host", 0.5}}},
      .top_k = 2};
  ::testing::internal::CaptureStderr();
  const std::vector<WinnerPick> picks =
      select_winners(records, toy_space(), kObjectives, kConstraints, selection);
  // No trial is within 0.1 ms; the last budget picks trial 1 again, which is not repeated.
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "nas: warning: no feasible trial is within the budget latency:host <= 0.1\n");
  std::vector<std::pair<size_t, std::string>> got;
  for (const WinnerPick& p : picks) got.emplace_back(p.record, p.picked_for);
  EXPECT_THAT(got, ElementsAre(std::pair<size_t, std::string>(6, "latency:host <= 0.45"),
                               std::pair<size_t, std::string>(1, "latency:host <= 0.6"),
                               std::pair<size_t, std::string>(5, "front"),
                               std::pair<size_t, std::string>(0, "front")));
  // Budgets alone.
  EXPECT_EQ(select_winners(records, toy_space(), kObjectives, kConstraints,
                           {.budgets = {{{"latency:host", 0.3}}}})
                .size(),
            1u);
}

// conv 3x3 stride 2 (width channels) -> activation -> flatten -> dense to 4 classes, on
// 1x8x8 images; weights drawn from the architecture's hash.
class TinyConvTemplate : public space::NetworkTemplate {
 public:
  graph::Graph build(const space::SearchSpace& space, const space::Architecture& arch,
                     int64_t batch) const override {
    using namespace graph;
    const int64_t width = std::stoll(space.label(arch, "width"));
    SplitMix64 rng(space.hash(arch));
    auto uniform = [&](Shape shape, double bound) {
      Tensor t(DType::F32, std::move(shape));
      for (int64_t i = 0; i < t.numel(); ++i)
        t.data<float>()[i] = static_cast<float>((2 * rng.uniform() - 1) * bound);
      return t;
    };
    Graph g("tiny");
    ValueId x = g.add_input("x", {DType::F32, {batch, 1, 8, 8}});
    x = g.add("Conv", {x, g.add_constant("conv.w", uniform({width, 1, 3, 3}, 1.0 / 3)),
                       g.add_constant("conv.b", uniform({width}, 0.1))},
              {{"pads", Shape{1, 1, 1, 1}}, {"strides", Shape{2, 2}}}, "conv");
    x = g.add(space.label(arch, "act") == "relu" ? "Relu" : "HardSwish", {x}, {}, "act");
    x = g.add("Flatten", {x}, {}, "flat");
    const int64_t features = width * 16;
    x = g.add("Gemm", {x, g.add_constant("fc.w", uniform({4, features}, 1 / std::sqrt(features))),
                       g.add_constant("fc.b", uniform({4}, 0.05))},
              {{"transB", int64_t{1}}}, "fc");
    g.add_output(x);
    return g;
  }
};

FinalRecipe tiny_recipe() {
  FinalRecipe recipe;
  recipe.evaluation.train.epochs = 2;
  recipe.evaluation.train.batch = 32;
  recipe.evaluation.train.lr = 0.05;
  recipe.evaluation.train.seed = 3;
  recipe.evaluation.timing = {.warmup = 0, .min_repeats = 2, .min_seconds = 0, .max_spread = 0};
  const evaluator::Dataset all = evaluator::make_synthetic(
      {.n = 384, .classes = 4, .channels = 1, .height = 8, .width = 8, .seed = 5});
  auto range = [](int64_t begin, int64_t n) {
    std::vector<int64_t> v(n);
    for (int64_t i = 0; i < n; ++i) v[i] = begin + i;
    return v;
  };
  recipe.data = {evaluator::select(all, range(0, 256)), evaluator::select(all, range(256, 64)),
                 evaluator::select(all, range(320, 64))};
  return recipe;
}

TEST(Winners, ExportedOnnxMatchesTheTrainedGraph) {
  TempDir dir;
  const space::SearchSpace space = toy_space(std::make_shared<TinyConvTemplate>());
  const std::vector<TrialRecord> records = {ok_record(0, "4,relu", 0.6, 0.3),
                                            ok_record(1, "8,hswish", 0.7, 0.5),
                                            ok_record(2, "16,relu", 0.8, 2.0)};
  const FinalRecipe recipe = tiny_recipe();
  const std::vector<Winner> winners =
      export_winners(dir.path(), records, space, kObjectives, kConstraints, recipe, {.top_k = 3});
  ASSERT_EQ(winners.size(), 2u);  // trial 2 breaks the latency constraint
  EXPECT_EQ(winners[0].trial, 1);
  EXPECT_EQ(winners[1].trial, 0);

  const nlohmann::json listing =
      nlohmann::json::parse(slurp((dir / "winners" / "winners.json").string()));
  ASSERT_EQ(listing["winners"].size(), 2u);
  for (size_t k = 0; k < winners.size(); ++k) {
    const Winner& w = winners[k];
    ASSERT_EQ(w.final_result.status, evaluator::EvalStatus::Ok) << w.final_result.reason;
    EXPECT_EQ(w.file, fmt::format("{}_{:016x}.onnx", k + 1, space.hash(space.parse(w.arch))));
    EXPECT_EQ(listing["winners"][k]["file"], w.file);
    EXPECT_EQ(listing["winners"][k]["test_accuracy"], *w.final_result.test_accuracy);
    EXPECT_GT(*w.final_result.test_accuracy, 0.5) << "4 classes: chance is 0.25";

    // Training is deterministic: the same recipe gives the weights that were exported.
    const graph::Graph model = space.decode(space.parse(w.arch));
    evaluator::TrainConfig train = recipe.evaluation.train;
    const evaluator::TrainReport report =
        evaluator::train(model, recipe.data.train, train, evaluator::initial_state(model));
    const graph::Graph trained = evaluator::with_weights(model, report.state);
    const graph::Graph imported = onnx_io::import_onnx((dir / "winners" / w.file).string());

    graph::Tensor image(graph::DType::F32, {1, 1, 8, 8});
    std::copy_n(recipe.data.test.images.begin(), 64, image.data<float>());
    const graph::Tensor expected = graph::run_reference(trained, {image})[0];
    const graph::Tensor actual = graph::run_reference(imported, {image})[0];
    ASSERT_EQ(actual.numel(), 4);
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(actual.data<float>()[i], expected.data<float>()[i]);
    EXPECT_EQ(evaluator::evaluate_accuracy(imported, recipe.data.test, 64),
              *w.final_result.test_accuracy);
  }
}

// final.wall_minutes: each winner's epoch is timed and the budget shared out
// (share_epochs); the listing says how long each trained. No budget: the recipe's epochs.
TEST(Winners, AWallTimeBudgetChoosesEachWinnersEpochs) {
  const space::SearchSpace space = toy_space(std::make_shared<TinyConvTemplate>());
  const std::vector<TrialRecord> records = {ok_record(0, "4,relu", 0.6, 0.3),
                                            ok_record(1, "8,hswish", 0.7, 0.5)};
  FinalRecipe recipe = tiny_recipe();
  recipe.evaluation.train.epochs = 3;
  for (const std::optional<double> budget : {std::optional<double>(), std::optional(1e6),
                                             std::optional(1e-6)}) {
    TempDir dir;
    recipe.wall_seconds = budget;
    const std::vector<Winner> winners =
        export_winners(dir.path(), records, space, kObjectives, kConstraints, recipe, {.top_k = 2});
    ASSERT_EQ(winners.size(), 2u);
    const nlohmann::json listing =
        nlohmann::json::parse(slurp((dir / "winners" / "winners.json").string()));
    EXPECT_EQ(listing["final_epochs"], 3);
    std::vector<double> seconds;
    for (size_t k = 0; k < winners.size(); ++k) {
      const Winner& w = winners[k];
      ASSERT_EQ(w.final_result.status, evaluator::EvalStatus::Ok) << w.final_result.reason;
      EXPECT_EQ(static_cast<int64_t>(w.final_result.loss_curve.size()), w.epochs);
      EXPECT_EQ(listing["winners"][k]["epochs"], w.epochs);
      if (budget) {
        EXPECT_GT(w.epoch_seconds, 0);
        EXPECT_EQ(listing["winners"][k]["epoch_seconds"], w.epoch_seconds);
      } else {
        EXPECT_TRUE(listing["winners"][k]["epoch_seconds"].is_null());
      }
      seconds.push_back(w.epoch_seconds);
    }
    if (!budget) {
      EXPECT_TRUE(listing["final_wall_minutes"].is_null());
      EXPECT_EQ(winners[0].epochs, 3);
      EXPECT_EQ(winners[1].epochs, 3);
    } else {
      EXPECT_EQ(listing["final_wall_minutes"], *budget / 60);
      const std::vector<int64_t> shared = share_epochs(seconds, *budget, 3);
      EXPECT_EQ(winners[0].epochs, shared[0]);
      EXPECT_EQ(winners[1].epochs, shared[1]);
      EXPECT_EQ(winners[0].epochs, *budget > 1 ? 3 : 1);
    }
  }
}

// Exported for deployment: the model takes pixel / 255 with the data's normalization folded
// in front, and winners.json says so, with the classes, the latency and the target.
TEST(Winners, ExportedModelsTakeRawPixelsAndWinnersJsonDescribesThem) {
  TempDir dir;
  const space::SearchSpace space = toy_space(std::make_shared<TinyConvTemplate>());
  FinalRecipe recipe = tiny_recipe();
  recipe.input_normalization = evaluator::Normalization{.mean = 0.5f, .std = 0.25f};
  recipe.class_names = {"a", "b", "c", "d"};
  recipe.evaluation.targets = {{"host", 1}};
  const std::vector<Winner> winners = export_winners(
      dir.path(), {ok_record(0, "8,relu", 0.6, 0.3)}, space, kObjectives, kConstraints, recipe,
      {.top_k = 1});
  ASSERT_EQ(winners.size(), 1u);
  ASSERT_EQ(winners[0].final_result.status, evaluator::EvalStatus::Ok);

  // The trained model on normalized images, the exported one on the pixels they came from.
  const graph::Graph model = space.decode(space.parse("8,relu"));
  const evaluator::TrainReport report = evaluator::train(model, recipe.data.train,
                                                         recipe.evaluation.train,
                                                         evaluator::initial_state(model));
  const graph::Graph trained = evaluator::with_weights(model, report.state);
  const graph::Graph exported =
      onnx_io::import_onnx((dir / "winners" / winners[0].file).string());
  graph::Tensor normalized(graph::DType::F32, {1, 1, 8, 8});
  graph::Tensor pixels(graph::DType::F32, {1, 1, 8, 8});
  for (int64_t i = 0; i < 64; ++i) {
    pixels.data<float>()[i] = static_cast<float>(i) / 63.0f;
    normalized.data<float>()[i] = (pixels.data<float>()[i] - 0.5f) / 0.25f;
  }
  const graph::Tensor expected = graph::run_reference(trained, {normalized})[0];
  const graph::Tensor actual = graph::run_reference(exported, {pixels})[0];
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(actual.data<float>()[i], expected.data<float>()[i]);

  const nlohmann::json listing =
      nlohmann::json::parse(slurp((dir / "winners" / "winners.json").string()));
  EXPECT_EQ(listing["input"]["shape"], (std::vector<int64_t>{1, 1, 8, 8}));
  EXPECT_EQ(listing["input"]["layout"], "NCHW");
  EXPECT_EQ(listing["input"]["range"], (std::vector<double>{0, 1}));
  EXPECT_THAT(listing["input"]["values"].get<std::string>(), HasSubstr("pixel / 255"));
  EXPECT_EQ(listing["classes"], (std::vector<std::string>{"a", "b", "c", "d"}));
  ASSERT_EQ(listing["targets"].size(), 1u);
  EXPECT_EQ(listing["targets"][0]["name"], "host");
  EXPECT_EQ(listing["targets"][0]["threads"], 1);
  EXPECT_FALSE(listing["targets"][0]["cpu"].get<std::string>().empty());
  EXPECT_GT(listing["winners"][0]["latency_ms"]["host"].get<double>(), 0);
  EXPECT_EQ(listing["winners"][0]["test_accuracy"], *winners[0].final_result.test_accuracy);
}

// A template whose "8,hswish" network cannot be built: an export stopped midway.
class FailingTemplate : public TinyConvTemplate {
 public:
  graph::Graph build(const space::SearchSpace& space, const space::Architecture& arch,
                     int64_t batch) const override {
    if (space.label(arch, "width") == "8") user_error("cannot build width 8");
    return TinyConvTemplate::build(space, arch, batch);
  }
};

// The models are written only once every winner is trained: an export that stops midway
// leaves the previous one whole, and a complete one replaces it, stale models removed.
TEST(Winners, AnExportThatFailsLeavesThePreviousOneWhole) {
  TempDir dir;
  const std::vector<TrialRecord> records = {ok_record(0, "4,relu", 0.6, 0.3),
                                            ok_record(1, "8,hswish", 0.7, 0.5)};
  export_winners(dir.path(), {records[0]}, toy_space(std::make_shared<TinyConvTemplate>()),
                 kObjectives, kConstraints, tiny_recipe(), {.top_k = 3});
  std::ofstream(dir / "winners" / "9_stale.onnx") << "from an older export";
  const std::string listing = slurp((dir / "winners" / "winners.json").string());
  const auto files = [&] {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir / "winners"))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> before = files();
  ASSERT_EQ(before.size(), 3u);

  EXPECT_EQ(user_error_message([&] {
              export_winners(dir.path(), records, toy_space(std::make_shared<FailingTemplate>()),
                             kObjectives, kConstraints, tiny_recipe(), {.top_k = 3});
            }),
            "cannot build width 8");
  EXPECT_EQ(files(), before);
  EXPECT_EQ(slurp((dir / "winners" / "winners.json").string()), listing);

  const std::vector<Winner> winners =
      export_winners(dir.path(), records, toy_space(std::make_shared<TinyConvTemplate>()),
                     kObjectives, kConstraints, tiny_recipe(), {.top_k = 3});
  ASSERT_EQ(winners.size(), 2u);
  EXPECT_THAT(files(), ElementsAre(winners[0].file, winners[1].file, "winners.json"));
}

TEST(Winners, NeedsANetworkTemplate) {
  TempDir dir;
  EXPECT_EQ(user_error_message([&] {
              export_winners(dir.path(), hand_built_records(), toy_space(), kObjectives,
                             kConstraints, tiny_recipe(), {.top_k = 1});
            }),
            "space 'toy' has no network template, so its winners cannot be built");
}

TEST(ReportCommand, RewritesTheOutputsFromTheExperiment) {
  TempDir dir;
  write_results(dir.path(), hand_built_records(), toy_space(), kObjectives, kConstraints);
  const std::string json = slurp((dir / "results.json").string());
  std::filesystem::remove(dir / "results.csv");
  const nas::testing::Result r = nas::testing::run_nas("report " + dir.path().string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("7 trials, 4 on the front"));
  EXPECT_TRUE(std::filesystem::exists(dir / "results.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "pareto.csv"));
  EXPECT_EQ(slurp((dir / "results.json").string()), json);
  EXPECT_EQ(count(slurp((dir / "report.html").string()), "<circle class=\"candidate"), 6u);
}

TEST(ReportCommand, ErrorsAreOneLine) {
  TempDir dir;
  nas::testing::expect_user_error(nas::testing::run_nas("report " + dir.path().string()),
                                  "results.json: no such file");
  write_results(dir.path(), hand_built_records(), toy_space(), kObjectives, kConstraints);
  nas::testing::expect_user_error(
      nas::testing::run_nas("export " + dir.path().string() + " --top 2"),
      "the experiment does not say how to build and train its architectures");
}

}  // namespace
}  // namespace nas::search
