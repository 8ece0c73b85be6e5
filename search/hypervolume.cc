#include "search/hypervolume.h"

#include <algorithm>

#include "compiler/support/error.h"

namespace nas::search {
namespace {

// The hypervolume of points strictly inside the reference box, over the first `dims`
// coordinates.
double volume(std::vector<Point> points, const Point& reference, size_t dims) {
  if (points.empty()) return 0;
  if (dims == 1) {
    double best = reference[0];
    for (const Point& p : points) best = std::min(best, p[0]);
    return reference[0] - best;
  }
  if (dims == 2) {
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
      return a[0] != b[0] ? a[0] < b[0] : a[1] < b[1];
    });
    double area = 0, lowest_y = reference[1];
    for (const Point& p : points) {
      if (p[1] >= lowest_y) continue;  // dominated by a point to its left
      area += (reference[0] - p[0]) * (lowest_y - p[1]);
      lowest_y = p[1];
    }
    return area;
  }
  // Slice along the last coordinate: between consecutive values, the dominated region's
  // cross-section is the (dims-1)-volume of the points at or below the slice.
  const size_t last = dims - 1;
  std::sort(points.begin(), points.end(),
            [&](const Point& a, const Point& b) { return a[last] < b[last]; });
  double total = 0;
  std::vector<Point> below;
  for (size_t i = 0; i < points.size(); ++i) {
    below.push_back(points[i]);
    const double top = i + 1 < points.size() ? points[i + 1][last] : reference[last];
    const double depth = top - points[i][last];
    if (depth > 0) total += depth * volume(below, reference, last);
  }
  return total;
}

}  // namespace

double hypervolume(const std::vector<Point>& points, const Point& reference) {
  NAS_CHECK(!reference.empty(), "hypervolume needs at least one objective");
  std::vector<Point> inside;
  for (const Point& p : points) {
    NAS_CHECK(p.size() == reference.size(), "point has {} objectives, reference {}", p.size(),
              reference.size());
    bool strictly_inside = true;
    for (size_t k = 0; k < p.size(); ++k) strictly_inside = strictly_inside && p[k] < reference[k];
    if (strictly_inside) inside.push_back(p);
  }
  return volume(std::move(inside), reference, reference.size());
}

double hypervolume_improvement(const std::vector<Point>& front, const Point& point,
                               const Point& reference) {
  std::vector<Point> with = front;
  with.push_back(point);
  return hypervolume(with, reference) - hypervolume(front, reference);
}

}  // namespace nas::search
