/* hard.h — output transforms that satisfy conditions exactly ("hard constraints",
 * issue #5) (internal).
 *
 * A problem file's `output:` maps fields to expressions in the domain variables, the
 * constants, `dist` and the raw network outputs net_<field>:
 *
 *   output: {u: "sin(pi*x) + t*dist*net_u"}
 *
 * The field is that expression (a field not listed is its network output). The PINN
 * applies it in its single output seam (pinn.c: out_jet, out_fwd), so every residual,
 * condition, observation and prediction sees the transformed field, and the
 * transform is differentiated exactly with the network: nt_expr_compile_jet on the
 * stacked jets (see expr.h for what can be differentiated).
 *
 * dist is a smooth approximate distance to the spatial boundary: > 0 inside, exactly
 * 0 (to rounding) on the boundary, ~ the distance near it (|∇dist| = 1 on a face,
 * away from corners). It is built from the primitives so that its derivatives of
 * every order exist in the interior (the exact signed distance of the geometry module
 * has kinks on the medial axis and, for a disk, a singular Laplacian at the centre):
 *   - a slab lo <= x <= hi: s = (x − lo)(hi − x)/(hi − lo);
 *   - the box without a geometry, and a box whose outside does not matter (the root,
 *     an operand of an intersection, the first operand of a difference — recursively):
 *     the product of its slabs, a polynomial;
 *   - a box whose sign outside matters (an operand of a union, a subtracted shape):
 *     the R-conjunction of its slabs;
 *   - a disk/ball: (r² − |x − c|²)/(2r);
 *   - a convex polygon: the R-conjunction of its edges' half-planes n·(x − v) (a
 *     non-convex polygon is refused);
 *   - union: a ∨ b = a + b + √(a² + b²); intersection: a ∧ b = a + b − √(a² + b²);
 *     difference a − b = a ∧ (−b) (R-functions: the sign is exact, the value vanishes
 *     where one operand does and the other has the right sign).
 * R-functions are smooth except where both operands vanish: corners of the boundary
 * (and, in a union, a face that two operands share exactly — let shapes overlap
 * instead). Near a corner the second derivatives of dist grow like 1/r. */
#ifndef NT_PINN_HARD_H
#define NT_PINN_HARD_H

#include "noether.h"
#include "pinn/problem.h"

/* NT_OK if dist can be built for the problem's domain, else NT_ERR_ARG with a message
 * (no space variable; a non-convex polygon). */
nt_status nt_hard_dist_check(const nt_problem *p);

/* dist at one point (env.n_vars coordinates). */
double nt_hard_dist(const nt_problem *p, const double *x);

/* The jet of dist (S·n doubles into out; values only when s is NULL) from the jets
 * of the coordinates (coord[v]: S·n doubles for variable v). Scratch comes from the
 * arena. NT_ERR_NOMEM. */
nt_status nt_hard_dist_jet(const nt_problem *p, const nt_jet_spec *s, int64_t n, const double *const *coord,
                           nt_arena *a, double *out);

/* The fields after the problem's output transform: net is the network's jet
 * (S·n × F; its values, n × F, when s is NULL), xjet the input jet in problem
 * coordinates (S·n × D; the points x when s is NULL). Returns (S·n × F) on the tape,
 * or NULL with nt_error_msg set. A problem without `output:` returns net. */
nt_tensor *nt_hard_apply(const nt_problem *p, nt_tape *t, const nt_jet_spec *s, nt_tensor *xjet, nt_tensor *net,
                         int64_t n);

#endif
