// Exact hypervolume of a set of points (objectives minimised) with respect to a fixed
// reference point: the measure of the region each point dominates, bounded by the
// reference. Points that do not strictly dominate the reference in every objective add
// nothing. Two objectives by sort-and-sweep (n log n); three and more by slicing along the
// last objective and recursing (exact, meant for the small sets a search produces).
#pragma once

#include <vector>

namespace nas::search {

using Point = std::vector<double>;

// Every point must have the reference's dimension (an internal check).
double hypervolume(const std::vector<Point>& points, const Point& reference);

// hypervolume(front + {point}) - hypervolume(front).
double hypervolume_improvement(const std::vector<Point>& front, const Point& point,
                               const Point& reference);

}  // namespace nas::search
