// One frame of the tracker (match -> gate -> update -> visibility -> new
// tracks -> outputs) as one function over plain arrays, written once for two
// executors: the host (one lane) and a CUDA warp (32 lanes, in
// track_step_cuda.cu), so that the GPU pipeline keeps its tracks on the
// device with no host round trip and no sync, and CI tests the very same
// code on the CPU against the reference Tracker class.
//
// The CPU reference tracker the tests hold it against
// (tests/support/oracle/: match, visibility, assignment, tracker) calls the
// inline functions here, so the arithmetic is shared, not copied. Doubles
// throughout, as in the reference. Sizes are bounded (kMaxSide) so the whole
// working set fits a block's shared memory. Parameters: TrackParams
// (core/track_params.hpp), the one set from the config to this code.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/track_params.hpp"

#ifdef __CUDACC__
#define IGTB_HD __host__ __device__
#else
#define IGTB_HD
#endif

namespace igtb::step {

/// Detections per frame and live tracks the step handles (the GPU solver's
/// 64x64 bound).
constexpr int kMaxSide = kMaxTracks;

// ---- the reference arithmetic (match.cpp and visibility.cpp call these) ----

/// alpha (1-p)^gamma (-log p) - (1-alpha) p^gamma (-log(1-p)), 1e-8 in the logs.
IGTB_HD inline double focal_class_cost(double p, double alpha, double gamma) {
  const double pos = alpha * std::pow(1 - p, gamma) * -std::log(p + 1e-8);
  const double neg = (1 - alpha) * std::pow(p, gamma) * -std::log(1 - p + 1e-8);
  return pos - neg;
}

/// Boxes as cx, cy, w, h.
IGTB_HD inline double box_l1(const double* a, const double* b) {
  return std::fabs(a[0] - b[0]) + std::fabs(a[1] - b[1]) + std::fabs(a[2] - b[2]) + std::fabs(a[3] - b[3]);
}

IGTB_HD inline double positive_area(double x0, double y0, double x1, double y1) {
  return (x1 - x0 > 0 ? x1 - x0 : 0.0) * (y1 - y0 > 0 ? y1 - y0 : 0.0);
}

/// Generalised IoU of two cx, cy, w, h boxes; 0 for degenerate ones.
IGTB_HD inline double giou(const double* a, const double* b) {
  const double p[4] = {a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2};
  const double q[4] = {b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2};
  const double i = positive_area(std::fmax(p[0], q[0]), std::fmax(p[1], q[1]), std::fmin(p[2], q[2]), std::fmin(p[3], q[3]));
  const double u = positive_area(p[0], p[1], p[2], p[3]) + positive_area(q[0], q[1], q[2], q[3]) - i;
  const double h = positive_area(std::fmin(p[0], q[0]), std::fmin(p[1], q[1]), std::fmax(p[2], q[2]), std::fmax(p[3], q[3]));
  if (u <= 0 || h <= 0) return 0;
  return i / u - (h - u) / h;
}

IGTB_HD inline double match_cost(const TrackParams& w, double score, const double* det, const double* track) {
  return w.class_weight * focal_class_cost(score, w.focal_alpha, w.focal_gamma) + w.l1_weight * box_l1(det, track) -
         w.giou_weight * giou(det, track);
}

enum : std::uint8_t { kVisible = 1, kRelocalizing = 2, kLost = 3 };

/// The visibility state machine's one frame (see visibility.hpp).
IGTB_HD inline void visibility_update(std::uint8_t& state, std::int32_t& unseen, double score, double theta_on,
                                      double theta_off, int lost_after) {
  if (score >= theta_on) {
    state = kVisible;
    unseen = 0;
    return;
  }
  if (state == kVisible) {
    if (score < theta_off) {
      unseen = 1;
      state = unseen >= lost_after ? kLost : kRelocalizing;
    }
  } else if (state == kRelocalizing) {
    if (++unseen >= lost_after) state = kLost;
  } else {
    ++unseen;
  }
}

// ---- executors: the host (one lane) and a CUDA warp ----

/// One lane: loops run whole, barriers are no-ops.
struct HostLanes {
  static constexpr int kCount = 1;
  int lane() const { return 0; }
  void sync() const {}
  /// The smallest value over the lanes, ties to the smallest index.
  void argmin(double& value, int& index) const { (void)value, (void)index; }
};

#ifdef __CUDACC__
/// One warp of 32 lanes.
struct WarpLanes {
  static constexpr int kCount = 32;
  __device__ int lane() const { return int(threadIdx.x) & 31; }
  __device__ void sync() const { __syncwarp(); }
  __device__ void argmin(double& value, int& index) const {
    for (int off = 16; off > 0; off /= 2) {
      const double v = __shfl_down_sync(0xffffffffu, value, off);
      const int i = __shfl_down_sync(0xffffffffu, index, off);
      if (v < value || (v == value && i < index)) value = v, index = i;
    }
    value = __shfl_sync(0xffffffffu, value, 0);
    index = __shfl_sync(0xffffffffu, index, 0);
  }
};
#endif

// ---- the exact assignment (assignment.cpp's algorithm, lane-parallel over columns) ----

struct SolverScratch {
  double u[kMaxSide + 1], v[kMaxSide + 1], way_cost[kMaxSide + 1];
  int row_of[kMaxSide + 1], way[kMaxSide + 1];
  char used[kMaxSide + 1];
  int j0;
};

/// Minimum-cost assignment of n rows to m >= n columns of a(i, j) =
/// cost[i * ld + j] (or cost[j * ld + i] when transposed). Afterwards
/// s.row_of[j] (j = 1..m) is the 1-based row of column j - 1, or 0. The
/// same steps and the same tie rule (lowest column) as the host reference,
/// so the same assignment, bit for bit, for the same doubles.
template <class Lanes>
IGTB_HD void solve(const Lanes& L, int n, int m, const double* cost, int ld, bool transposed, SolverScratch& s) {
  const double inf = INFINITY;
  for (int j = L.lane(); j <= m; j += Lanes::kCount) {
    s.v[j] = 0;
    s.row_of[j] = 0;
    s.way[j] = 0;
  }
  for (int i = L.lane(); i <= n; i += Lanes::kCount) s.u[i] = 0;
  L.sync();
  for (int i = 1; i <= n; ++i) {
    for (int j = L.lane(); j <= m; j += Lanes::kCount) {
      s.way_cost[j] = inf;
      s.used[j] = 0;
    }
    if (L.lane() == 0) {
      s.row_of[0] = i;
      s.j0 = 0;
    }
    L.sync();
    do {
      const int j0 = s.j0;
      L.sync();
      if (L.lane() == 0) s.used[j0] = 1;
      L.sync();
      const int i0 = s.row_of[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1 + L.lane(); j <= m; j += Lanes::kCount) {
        if (s.used[j]) continue;
        const double a = transposed ? cost[(j - 1) * ld + (i0 - 1)] : cost[(i0 - 1) * ld + (j - 1)];
        const double cur = a - s.u[i0] - s.v[j];
        if (cur < s.way_cost[j]) {
          s.way_cost[j] = cur;
          s.way[j] = j0;
        }
        if (s.way_cost[j] < delta) {
          delta = s.way_cost[j];
          j1 = j;
        }
      }
      L.argmin(delta, j1);
      L.sync();
      for (int j = L.lane(); j <= m; j += Lanes::kCount) {
        if (s.used[j]) {
          s.u[s.row_of[j]] += delta;
          s.v[j] -= delta;
        } else {
          s.way_cost[j] -= delta;
        }
      }
      if (L.lane() == 0) s.j0 = j1;
      L.sync();
    } while (s.row_of[s.j0] != 0);
    L.sync();  // every lane has read the loop condition before lane 0 rewrites row_of
    if (L.lane() == 0) {  // flip the augmenting path
      int j0 = s.j0;
      do {
        const int j1 = s.way[j0];
        s.row_of[j0] = s.row_of[j1];
        j0 = j1;
      } while (j0 != 0);
    }
    L.sync();
  }
}

/// Rows to columns (each side <= kMaxSide) of the row-major
/// rows x cols matrix `cost`: col_of_row[r] is the column of row r or -1,
/// as solve_assignment (assignment.hpp) gives it, transposing when rows > cols.
template <class Lanes>
IGTB_HD void assign(const Lanes& L, int rows, int cols, const double* cost, SolverScratch& s, int* col_of_row) {
  for (int r = L.lane(); r < rows; r += Lanes::kCount) col_of_row[r] = -1;
  L.sync();
  if (rows == 0 || cols == 0) return;
  if (rows <= cols) {
    solve(L, rows, cols, cost, cols, false, s);
    for (int j = 1 + L.lane(); j <= cols; j += Lanes::kCount)
      if (s.row_of[j] != 0) col_of_row[s.row_of[j] - 1] = j - 1;
  } else {
    solve(L, cols, rows, cost, cols, true, s);
    for (int j = 1 + L.lane(); j <= rows; j += Lanes::kCount)
      if (s.row_of[j] != 0) col_of_row[j - 1] = s.row_of[j] - 1;
  }
  L.sync();
}

// ---- the tracker's frame ----

struct Params {
  TrackParams track;          ///< max_tracks 1..kMaxSide
  int slots = 16;             ///< segmenter box slots, 1..kMaxSide
  int width = 0, height = 0;  ///< input image, for the pixel boxes
};

/// The tracks, kept where the pipeline runs between frames. Plain data:
/// all zeros is the empty tracker.
struct State {
  std::int32_t count;
  std::int32_t reserved;
  std::uint64_t frame;
  std::uint64_t refused;  ///< detections that found no free slot (all max_tracks live)
  double box[kMaxSide][4];
  double score[kMaxSide];
  std::uint64_t last_seen[kMaxSide];
  std::int32_t unseen[kMaxSide];
  std::uint8_t id[kMaxSide];
  std::uint8_t state[kMaxSide];
};

/// Removes track t; the later ones move up one place (their order kept).
IGTB_HD inline void erase_track(State& st, int t) {
  for (int u = t; u + 1 < st.count; ++u) {
    for (int c = 0; c < 4; ++c) st.box[u][c] = st.box[u + 1][c];
    st.score[u] = st.score[u + 1];
    st.last_seen[u] = st.last_seen[u + 1];
    st.unseen[u] = st.unseen[u + 1];
    st.id[u] = st.id[u + 1];
    st.state[u] = st.state[u + 1];
  }
  --st.count;
}

/// Per-frame working memory (a CUDA block's shared memory).
struct Scratch {
  double cost[kMaxSide * kMaxSide];
  double det_box[kMaxSide][4];
  double det_score[kMaxSide];
  double new_score[kMaxSide];
  int col_of_row[kMaxSide];
  int nd;
  SolverScratch solver;
};

/// The packed result's track block, written by the step: a header of eight
/// int32 (height, width, tracks, capacity, unsegmented, 0, 0, 0), then
/// boxes float[cap][4] (x0, y0, x1, y1 input pixels), scores float[cap],
/// ids uint8[cap], states uint8[cap]; the label map follows (result.hpp).
constexpr int kHeaderInts = 8;
IGTB_HD constexpr std::int64_t track_block_bytes(int cap) { return kHeaderInts * 4 + std::int64_t(cap) * 22; }

struct Inputs {
  const float* scores;  ///< [k] descending, as the detect stage gives them
  const float* boxes;   ///< [k, 4] cx, cy, w, h normalised
  const bool* valid;    ///< [k]
  int k;                ///< <= kMaxSide
};

struct Outputs {
  std::uint8_t* block;  ///< track_block_bytes(max_tracks) bytes, 4-byte aligned
  float* seg_boxes;     ///< [slots, 4] x0, y0, x1, y1 input pixels: the VISIBLE tracks, then padding
  std::uint8_t* seg_ids;  ///< [slots] their ids, 0 for padding
};

template <class Lanes>
IGTB_HD void frame_step(const Lanes& L, const Params& p, State& st, Scratch& s, const Inputs& in, const Outputs& out) {
  if (L.lane() == 0) {
    s.nd = 0;
    for (int k = 0; k < in.k; ++k) {
      if (!in.valid[k]) continue;
      for (int c = 0; c < 4; ++c) s.det_box[s.nd][c] = double(in.boxes[4 * k + c]);
      s.det_score[s.nd] = double(in.scores[k]);
      ++s.nd;
    }
    ++st.frame;
  }
  L.sync();
  const int nd = s.nd, nt = st.count;
  for (int e = L.lane(); e < nd * nt; e += Lanes::kCount)
    s.cost[e] = match_cost(p.track, s.det_score[e / nt], s.det_box[e / nt], st.box[e % nt]);
  L.sync();
  assign(L, nd, nt, s.cost, s.solver, s.col_of_row);
  if (L.lane() == 0) {  // the rest is a few dozen steps: one lane, in the reference's order
    for (int t = 0; t < nt; ++t) s.new_score[t] = 0;
    for (int d = 0; d < nd; ++d) {
      const int t = s.col_of_row[d];
      if (t < 0 || s.cost[d * nt + t] > p.track.gate) {  // above the gate: not a match
        s.col_of_row[d] = -1;
        continue;
      }
      for (int c = 0; c < 4; ++c) st.box[t][c] = s.det_box[d][c];
      st.last_seen[t] = st.frame;
      s.new_score[t] = s.det_score[d];
    }
    for (int t = 0; t < nt; ++t) {
      st.score[t] = s.new_score[t];
      visibility_update(st.state[t], st.unseen[t], st.score[t], p.track.theta_on, p.track.theta_off, p.track.lost_after_frames);
    }
    for (int d = 0; d < nd; ++d) {
      if (s.col_of_row[d] >= 0 || s.det_score[d] < p.track.min_new_score) continue;
      if (st.count >= p.track.max_tracks) {  // full: the LOST track seen longest ago makes room
        int oldest = -1;
        for (int t = 0; t < st.count; ++t)
          if (st.state[t] == kLost && (oldest < 0 || st.last_seen[t] < st.last_seen[oldest])) oldest = t;
        if (oldest < 0) {
          ++st.refused;
          continue;
        }
        erase_track(st, oldest);
      }
      int id = 1;  // the smallest id no live track holds (max_tracks <= 64 < 255: one exists)
      for (;; ++id) {
        bool taken = false;
        for (int t = 0; t < st.count; ++t) taken = taken || st.id[t] == id;
        if (!taken) break;
      }
      const int t = st.count++;
      for (int c = 0; c < 4; ++c) st.box[t][c] = s.det_box[d][c];
      st.score[t] = s.det_score[d];
      st.last_seen[t] = st.frame;
      st.unseen[t] = 0;
      st.id[t] = std::uint8_t(id);
      st.state[t] = kRelocalizing;
      visibility_update(st.state[t], st.unseen[t], st.score[t], p.track.theta_on, p.track.theta_off, p.track.lost_after_frames);
    }
    // Outputs: the track block and the segmenter's slots.
    const int cap = p.track.max_tracks;
    auto* head = reinterpret_cast<std::int32_t*>(out.block);
    auto* boxes = reinterpret_cast<float*>(out.block + kHeaderInts * 4);
    float* scores = boxes + 4 * cap;
    std::uint8_t* ids = reinterpret_cast<std::uint8_t*>(scores + cap);
    std::uint8_t* states = ids + cap;
    int visible = 0;
    for (int t = 0; t < cap; ++t) {
      const bool live = t < st.count;
      const double* b = st.box[t];
      const float xyxy[4] = {float((b[0] - b[2] / 2) * double(p.width)), float((b[1] - b[3] / 2) * double(p.height)),
                             float((b[0] + b[2] / 2) * double(p.width)), float((b[1] + b[3] / 2) * double(p.height))};
      for (int c = 0; c < 4; ++c) boxes[4 * t + c] = live ? xyxy[c] : 0.0f;
      scores[t] = live ? float(st.score[t]) : 0.0f;
      ids[t] = live ? st.id[t] : std::uint8_t(0);
      states[t] = live ? st.state[t] : std::uint8_t(0);
      if (live && st.state[t] == kVisible) {
        if (visible < p.slots) {
          for (int c = 0; c < 4; ++c) out.seg_boxes[4 * visible + c] = xyxy[c];
          out.seg_ids[visible] = st.id[t];
        }
        ++visible;
      }
    }
    for (int v = visible; v < p.slots; ++v) {  // padding: a copy of slot 0 (or an empty box), id 0
      for (int c = 0; c < 4; ++c) out.seg_boxes[4 * v + c] = visible > 0 ? out.seg_boxes[c] : 0.0f;
      out.seg_ids[v] = 0;
    }
    const std::int32_t header[kHeaderInts] = {p.height, p.width, st.count, cap, visible > p.slots ? visible - p.slots : 0,
                                              0, 0, 0};
    for (int i = 0; i < kHeaderInts; ++i) head[i] = header[i];
  }
  L.sync();
}

}  // namespace igtb::step
