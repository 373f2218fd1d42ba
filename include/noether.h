/* noether.h — the one public header of libnoether.
 *
 * Noether trains physics-informed neural networks in C. This header exposes the
 * engine: tensors in float32/float64, an arena-backed reverse-mode tape, exact input
 * derivatives by forward Taylor mode ("jets") recorded on that tape, MLP models, and
 * the Adam/AdamW and L-BFGS optimizers.
 *
 * Conventions
 *   - Every public symbol starts with nt_ / NT_; names are <object>_<verb>.
 *   - Calls that can fail for reasons outside the programmer's control return an
 *     nt_status; programmer errors (shape mismatch, NULL where not allowed) assert
 *     with file:line through NT_ASSERT.
 *   - Objects come in _init/_free pairs. _free on a zeroed object is a no-op.
 *   - Matrices are row-major. A "tensor" here has at most 4 dimensions and is
 *     contiguous.
 */
#ifndef NOETHER_H
#define NOETHER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NT_VERSION_MAJOR 0
#define NT_VERSION_MINOR 1
#define NT_VERSION_PATCH 0
#define NT_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------------ */
/* Status codes and assertions                                                      */

typedef enum nt_status {
    NT_OK = 0,
    NT_ERR_NOMEM = 1,    /* an allocation failed */
    NT_ERR_IO = 2,       /* a file could not be opened, read or written */
    NT_ERR_FORMAT = 3,   /* a file's content is malformed (bad magic, version, CSV) */
    NT_ERR_ARG = 4,      /* a user-supplied value is out of range */
    NT_ERR_NUMERIC = 5,  /* NaN/Inf appeared where a finite value is required */
    NT_ERR_NOT_FOUND = 6 /* a named item (column, file, key) does not exist */
} nt_status;

/* A short English description of a status code (static storage). */
const char *nt_status_str(nt_status s);

/* The last error message set by a failing nt_ call on this thread ("" if none). */
const char *nt_error_msg(void);

void nt_assert_fail(const char *expr, const char *file, int line, const char *msg);
#define NT_ASSERT(cond, msg) \
    ((cond) ? (void)0 : nt_assert_fail(#cond, __FILE__, __LINE__, (msg)))

/* ------------------------------------------------------------------------------ */
/* Data types, threads, RNG                                                          */

typedef enum nt_dtype { NT_F32 = 0, NT_F64 = 1 } nt_dtype;

size_t nt_dtype_size(nt_dtype dt);
const char *nt_dtype_name(nt_dtype dt);
/* Parses "float32"/"f32"/"float64"/"f64"; returns NT_ERR_ARG otherwise. */
nt_status nt_dtype_parse(const char *s, nt_dtype *out);

/* Number of threads used by OpenMP loops and OpenBLAS (one pool, no oversubscription). */
void nt_threads_set(int n);
int nt_threads_get(void);

/* xoshiro256** seeded by splitmix64: same seed gives the same stream everywhere. */
typedef struct nt_rng {
    uint64_t s[4];
} nt_rng;

void nt_rng_init(nt_rng *r, uint64_t seed);
uint64_t nt_rng_u64(nt_rng *r);
double nt_rng_uniform(nt_rng *r);  /* in [0, 1) */
double nt_rng_normal(nt_rng *r);   /* standard normal (Box–Muller) */

/* ------------------------------------------------------------------------------ */
/* Arena: bump allocator. Reset keeps the memory; after the first reset the chunks
 * are merged into one so that a repeated workload never calls malloc again. */

typedef struct nt_arena_chunk nt_arena_chunk;
typedef struct nt_arena {
    nt_arena_chunk *head;   /* current chunk */
    nt_arena_chunk *first;  /* first chunk */
    size_t used_total;      /* bytes handed out since the last reset */
    size_t peak;            /* the most bytes ever in use between resets */
    size_t default_chunk;   /* chunk size used when growing */
    uint64_t n_sys_alloc;   /* number of malloc calls made (for tests) */
} nt_arena;

void nt_arena_init(nt_arena *a, size_t chunk_bytes);
void nt_arena_free(nt_arena *a);
/* 64-byte aligned; returns NULL (and sets nt_error_msg) on out-of-memory. */
void *nt_arena_alloc(nt_arena *a, size_t bytes);
void *nt_arena_calloc(nt_arena *a, size_t bytes);
void nt_arena_reset(nt_arena *a);

/* ------------------------------------------------------------------------------ */
/* Tensors and the tape                                                             */

#define NT_MAX_DIMS 4
#define NT_MAX_SRC 3

typedef struct nt_tape nt_tape;

typedef struct nt_tensor {
    nt_dtype dtype;
    int ndim;
    int64_t shape[NT_MAX_DIMS];
    int64_t size;           /* product of shape */
    void *data;             /* size elements of dtype */
    void *grad;             /* same size, or NULL when not (yet) needed */
    int op;                 /* nt_op of the node that produced it, NT_OP_NONE for leaves */
    int flags;              /* NT_TENSOR_* */
    struct nt_tensor *src[NT_MAX_SRC];
    int64_t iparam[4];      /* op parameters */
    double dparam[2];
    const void *aux;        /* op-specific read-only data (e.g. a jet spec) */
} nt_tensor;

enum {
    NT_TENSOR_REQUIRES_GRAD = 1, /* gradient flows to/through this tensor */
    NT_TENSOR_PARAM = 2          /* a persistent parameter (grad is accumulated) */
};

typedef enum nt_op {
    NT_OP_NONE = 0,
    NT_OP_MATMUL,      /* C = A·B or A·Bᵀ (iparam[0] = transpose B) */
    NT_OP_ADD,         /* a + b (b may be a scalar tensor of size 1) */
    NT_OP_SUB,
    NT_OP_MUL,
    NT_OP_DIV,
    NT_OP_BIAS,        /* x[r, :] + b[:] for the first iparam[0] rows, x elsewhere */
    NT_OP_LINEAR,      /* x·Wᵀ + b, the bias on the first iparam[0] rows (fused) */
    NT_OP_SCALE,       /* a·dparam[0] + dparam[1] */
    NT_OP_POW,         /* a^dparam[0] */
    NT_OP_LOG,
    NT_OP_ACT,         /* σ⁽ⁿ⁾(a): activation iparam[0], order iparam[1] */
    NT_OP_SUM,         /* sum of all elements -> shape (1) */
    NT_OP_MEAN,
    NT_OP_SUMSQ_MEAN,  /* mean of squares, fused */
    NT_OP_CONCAT,      /* along axis iparam[0] of two 2-D tensors */
    NT_OP_SLICE,       /* rows [iparam[0], iparam[1]) × cols [iparam[2], iparam[3]) */
    NT_OP_JET_ACT,     /* activation applied to a stacked jet (Faà di Bruno) */
    NT_OP_JET_MUL,     /* product of two stacked jets (Leibniz) */
    NT_OP_SPECCONV,    /* FNO spectral convolution (src/ad/specconv.c): iparam = sx, sy, m1, m2 */
    NT_OP_COUNT
} nt_op;

/* Activations. Derivatives of any order up to NT_ACT_MAX_ORDER are available. */
typedef enum nt_act {
    NT_ACT_IDENTITY = 0,
    NT_ACT_TANH,
    NT_ACT_SIN,
    NT_ACT_COS,
    NT_ACT_SIGMOID,
    NT_ACT_GELU,   /* exact: x·Φ(x) */
    NT_ACT_SWISH,  /* x·sigmoid(x) */
    NT_ACT_EXP,
    NT_ACT_COUNT
} nt_act;
#define NT_ACT_MAX_ORDER 9

const char *nt_act_name(nt_act a);
nt_status nt_act_parse(const char *s, nt_act *out);
/* out[k*n + i] = σ⁽ᵏ⁾(x[i]) for k = 0..order, in float64 (reference implementation). */
void nt_act_eval_f64(nt_act a, int order, const double *x, int64_t n, double *out);

/* A tape records operations of one training step in an arena. nt_tape_reset frees
 * every node at once; the persistent parameters are not part of the arena. */
struct nt_tape {
    nt_arena arena;
    nt_tensor **nodes;   /* recorded nodes in creation order */
    int64_t n_nodes;
    int64_t cap_nodes;
    int grad_enabled;    /* when 0, ops record nothing and need no grads */
};

nt_status nt_tape_init(nt_tape *t, size_t arena_chunk_bytes);
void nt_tape_free(nt_tape *t);
void nt_tape_reset(nt_tape *t);
/* Reverse pass from a scalar (size 1) tensor: d(loss)/d(node) for every node that
 * requires grad; parameter grads are accumulated (+=). */
nt_status nt_tape_backward(nt_tape *t, nt_tensor *loss);

/* Leaf tensors allocated in the tape's arena (freed by nt_tape_reset). */
nt_tensor *nt_tensor_new(nt_tape *t, nt_dtype dt, int ndim, const int64_t *shape);
nt_tensor *nt_tensor_new2(nt_tape *t, nt_dtype dt, int64_t rows, int64_t cols);
nt_tensor *nt_tensor_zeros2(nt_tape *t, nt_dtype dt, int64_t rows, int64_t cols);
/* A leaf holding a copy of rows×cols doubles converted to dt. */
nt_tensor *nt_tensor_from_f64(nt_tape *t, nt_dtype dt, int64_t rows, int64_t cols,
                              const double *src);
/* A scalar leaf (shape (1)). */
nt_tensor *nt_tensor_scalar(nt_tape *t, nt_dtype dt, double v);
double nt_tensor_get(const nt_tensor *x, int64_t i);      /* element as double */
void nt_tensor_set(nt_tensor *x, int64_t i, double v);
double nt_tensor_grad_get(const nt_tensor *x, int64_t i); /* 0 if no grad */
int64_t nt_tensor_rows(const nt_tensor *x);               /* shape[0] */
int64_t nt_tensor_cols(const nt_tensor *x);               /* product of shape[1..] */
void nt_tensor_requires_grad(nt_tensor *x);

/* Ops. Each returns a new node in the tape's arena (NULL on out-of-memory, with
 * nt_error_msg set). Inputs must share a dtype. Binary elementwise ops take equal
 * shapes, or a size-1 tensor on either side that is broadcast. */
nt_tensor *nt_matmul(nt_tape *t, nt_tensor *a, nt_tensor *b, int transpose_b);
nt_tensor *nt_add(nt_tape *t, nt_tensor *a, nt_tensor *b);
nt_tensor *nt_sub(nt_tape *t, nt_tensor *a, nt_tensor *b);
nt_tensor *nt_mul(nt_tape *t, nt_tensor *a, nt_tensor *b);
nt_tensor *nt_div(nt_tape *t, nt_tensor *a, nt_tensor *b);
nt_tensor *nt_bias(nt_tape *t, nt_tensor *x, nt_tensor *b, int64_t rows);
/* x (n × in) · Wᵀ (W is out × in) + b on the first bias_rows rows (b may be NULL). */
nt_tensor *nt_linear(nt_tape *t, nt_tensor *x, nt_tensor *W, nt_tensor *b, int64_t bias_rows);
nt_tensor *nt_scale(nt_tape *t, nt_tensor *a, double mul, double add);
nt_tensor *nt_pow(nt_tape *t, nt_tensor *a, double p);
nt_tensor *nt_exp(nt_tape *t, nt_tensor *a);
nt_tensor *nt_log(nt_tape *t, nt_tensor *a);
nt_tensor *nt_sin(nt_tape *t, nt_tensor *a);
nt_tensor *nt_cos(nt_tape *t, nt_tensor *a);
nt_tensor *nt_tanh(nt_tape *t, nt_tensor *a);
nt_tensor *nt_sigmoid(nt_tape *t, nt_tensor *a);
nt_tensor *nt_gelu(nt_tape *t, nt_tensor *a);
nt_tensor *nt_swish(nt_tape *t, nt_tensor *a);
/* σ⁽ⁿ⁾(a) elementwise; its gradient is σ⁽ⁿ⁺¹⁾(a). */
nt_tensor *nt_act_apply(nt_tape *t, nt_tensor *a, nt_act act, int order);
nt_tensor *nt_sum(nt_tape *t, nt_tensor *a);
nt_tensor *nt_mean(nt_tape *t, nt_tensor *a);
nt_tensor *nt_mean_sq(nt_tape *t, nt_tensor *a);
nt_tensor *nt_concat(nt_tape *t, nt_tensor *a, nt_tensor *b, int axis);
nt_tensor *nt_slice(nt_tape *t, nt_tensor *a, int axis, int64_t begin, int64_t end);
/* rows [r0, r1) × cols [c0, c1) of a 2-D tensor. */
nt_tensor *nt_slice2(nt_tape *t, nt_tensor *a, int64_t r0, int64_t r1, int64_t c0, int64_t c1);

/* ------------------------------------------------------------------------------ */
/* Jets: exact input derivatives by forward Taylor mode.
 *
 * A jet spec lists the derivative streams to propagate for inputs of dimension
 * `ndim`: each stream is a multi-index (counts[d] = how many times we differentiate
 * in input d). The spec is closed downward (asking for u_xxt adds u_x, u_t, u_xx,
 * u_xt). A stacked jet is a 2-D tensor with n_streams blocks of n_points rows each:
 * block s holds ∂^{α_s} of every column at every point. Stream 0 is the value. */

#define NT_JET_MAX_STREAMS 32
#define NT_JET_MAX_ORDER 6
#define NT_JET_MAX_DIM 8

typedef struct nt_jet_term {
    int32_t coef;                       /* integer multiplicity */
    int16_t m;                          /* activation derivative order */
    int16_t blocks[NT_JET_MAX_ORDER];   /* streams whose product multiplies σ⁽ᵐ⁾ */
} nt_jet_term;

typedef struct nt_jet_spec {
    int ndim;
    int n_streams;
    int max_order;
    uint8_t alpha[NT_JET_MAX_STREAMS][NT_JET_MAX_DIM];  /* multi-index per stream */
    int order[NT_JET_MAX_STREAMS];
    /* Faà di Bruno terms for each stream s: terms[term_off[s] .. term_off[s+1]) */
    int term_off[NT_JET_MAX_STREAMS + 1];
    nt_jet_term *terms;
    int n_terms;
    /* Leibniz pairs for products: for stream s, pairs (coef, i, j) with α_i+α_j=α_s */
    int pair_off[NT_JET_MAX_STREAMS + 1];
    int32_t (*pairs)[3];
    int n_pairs;
} nt_jet_spec;

void nt_jet_spec_init(nt_jet_spec *s, int ndim);
void nt_jet_spec_free(nt_jet_spec *s);
/* Adds the stream for counts[0..ndim) (and all streams below it); returns its
 * index, or -1 with nt_error_msg set if limits are exceeded. */
int nt_jet_spec_add(nt_jet_spec *s, const int *counts);
/* Adds a stream named by variable letters, e.g. "xxt" with vars "xt" (d-th letter
 * of vars = input d). "" is the value stream. Returns -1 on an unknown letter. */
int nt_jet_spec_add_named(nt_jet_spec *s, const char *vars, const char *deriv);
/* Index of an existing stream, or -1. */
int nt_jet_spec_find(const nt_jet_spec *s, const int *counts);
/* Finalizes the term tables; call after the last add. */
nt_status nt_jet_spec_build(nt_jet_spec *s);

/* The input jet of points x (n × ndim): value block = x, first-order block for
 * input d = e_d, higher blocks 0. No gradient flows into it. */
nt_tensor *nt_jet_input(nt_tape *t, const nt_jet_spec *s, nt_tensor *x);
/* Elementwise activation of a stacked jet, derivatives by Faà di Bruno. */
nt_tensor *nt_jet_act(nt_tape *t, const nt_jet_spec *s, nt_tensor *z, nt_act act);
/* Product of two stacked jets of equal shape, derivatives by Leibniz' rule. */
nt_tensor *nt_jet_mul(nt_tape *t, const nt_jet_spec *s, nt_tensor *a, nt_tensor *b);
/* The block of stream `stream`, column `col` of a stacked jet: an (n × 1) tensor. */
nt_tensor *nt_jet_get(nt_tape *t, const nt_jet_spec *s, nt_tensor *jet, int stream, int col);

/* ------------------------------------------------------------------------------ */
/* Parameters: one flat block per model, so optimizers and checkpoints see a vector. */

#define NT_PARAMS_MAX 256

typedef struct nt_params {
    nt_dtype dtype;
    int64_t n;            /* total number of scalars */
    int64_t cap;
    void *data;           /* n scalars */
    void *grad;           /* n scalars */
    int count;
    nt_tensor tensors[NT_PARAMS_MAX]; /* views into data/grad */
    char names[NT_PARAMS_MAX][32];
    int64_t offset[NT_PARAMS_MAX];
} nt_params;

nt_status nt_params_init(nt_params *p, nt_dtype dt, int64_t capacity);
void nt_params_free(nt_params *p);
/* Reserves a rows×cols parameter (zero-initialized); NULL if capacity is exceeded. */
nt_tensor *nt_params_add(nt_params *p, const char *name, int64_t rows, int64_t cols);
void nt_params_zero_grad(nt_params *p);
/* Euclidean norm of the gradient, in double. */
double nt_params_grad_norm(const nt_params *p);

/* ------------------------------------------------------------------------------ */
/* Models                                                                           */

typedef enum nt_init { NT_INIT_GLOROT_NORMAL = 0, NT_INIT_GLOROT_UNIFORM } nt_init;

typedef struct nt_mlp_config {
    int in_dim;
    int out_dim;
    int width;
    int depth;          /* number of hidden layers */
    nt_act act;
    nt_init init;
} nt_mlp_config;

typedef struct nt_mlp {
    nt_mlp_config cfg;
    int n_layers;               /* depth + 1 linear maps */
    nt_tensor *W[64];           /* (out × in) */
    nt_tensor *b[64];           /* (1 × out) */
} nt_mlp;

/* Adds the MLP's parameters to p and initializes them from rng. */
nt_status nt_mlp_init(nt_mlp *m, const nt_mlp_config *cfg, nt_params *p, nt_rng *rng);
/* Plain forward: x (n × in_dim) -> (n × out_dim). */
nt_tensor *nt_mlp_forward(const nt_mlp *m, nt_tape *t, nt_tensor *x);
/* Jet forward: input jet (S·n × in_dim) -> output jet (S·n × out_dim). */
nt_tensor *nt_mlp_jet(const nt_mlp *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *jet);
/* GEMM flops of one jet forward and backward pass on n points with S streams. */
double nt_mlp_jet_flops(const nt_mlp *m, int64_t n, int n_streams);

/* ------------------------------------------------------------------------------ */
/* PINN networks (issue #5, src/nn/net.c): input embeddings, modified MLP, random   */
/* weight factorization. Every piece has a plain and a jet (Taylor-mode) forward.   */
/*
 * The input x (n × in_dim) passes through, in this order:
 *   1. an exact periodic embedding (Dong & Ni 2021): every input d with period[d] > 0
 *      is replaced by cos(2πk·x_d/period[d]), sin(2πk·x_d/period[d]), k = 1..harmonics[d]
 *      (the other inputs pass unchanged); the output is exactly period[d]-periodic in x_d.
 *      parity[d] = 1 (even) keeps only the cosines of x_d, so every output is an even
 *      function of x_d (about x_d = 0); parity[d] = −1 (odd) does the same and then
 *      multiplies every output by sin(2π·x_d/period[d]), so every output is odd in x_d
 *      (an odd period-P function is sin(θ) times a polynomial in cos(θ)). The factor
 *      is applied after the trunk (and after everything below);
 *   2. random Fourier features (Tancik et al. 2020; Wang, Wang & Perdikaris 2021):
 *      e -> [cos(2π·B·e), sin(2π·B·e)], B (features × dim e) ~ N(0, scale²), fixed;
 *   3. the trunk: NT_NET_MLP (nt_mlp's layers) or NT_NET_MODIFIED_MLP (Wang, Teng &
 *      Perdikaris 2021): U = σ(X·W_u + b_u), V = σ(X·W_v + b_v), H_1 = σ(X·W_1 + b_1),
 *      Z_k = σ(H_k·W_{k+1} + b_{k+1}), H_{k+1} = (1 − Z_k)⊙U + Z_k⊙V for k = 1..depth−1,
 *      out = H_depth·W_out + b_out (depth hidden layers H, depth ≥ 2);
 *   4. with rwf, every dense layer of the trunk is W = diag(exp(s))·V (Wang et al. 2022,
 *      one factor per output unit): s ~ N(rwf_mu, rwf_sigma²) and V = W0/exp(s) at
 *      initialization (W0 Glorot), s and V trained.
 * The embedding matrices are not parameters: they are drawn from the rng at init
 * (B first, then the trunk's weights), so the same seed rebuilds them. A plain MLP
 * (no embedding, no rwf) is exactly nt_mlp: same parameters in the same order, same
 * random draws, same arithmetic.
 *
 * Further pieces:
 *   - Gaussian embedding (PIG, Kang et al. 2024), gaussians = M > 0, instead of the
 *     periodic/Fourier embedding (not combinable with them): M Gaussians with trained
 *     means μ and per-dimension log-scales ℓ (σ = exp(ℓ)), features
 *     φ_m(x) = exp(−Σ_d (x_d − μ_dm)² / (2σ_dm²)) in the network's input space; μ_dm ~
 *     U[−1, 1) (drawn before the trunk), ℓ_dm = log(gauss_sigma). Parameters "gauss_mu"
 *     and "gauss_logs", each (1 × D·M), entry d·M + m, added before the trunk's.
 *   - NT_NET_PIRATE (PirateNet, Wang, Sankaran et al. 2024), depth = B blocks (1..20):
 *     on the embedding Φ (width E), U = σ(Φ·W_u + b_u), V = σ(Φ·W_v + b_v) (width w);
 *     X_0 = Φ; block k: F = σ(X·W₁ + b₁), Z₁ = F⊙U + (1 − F)⊙V, G = σ(Z₁·W₂ + b₂),
 *     Z₂ = G⊙U + (1 − G)⊙V, H = σ(Z₂·W₃ + b₃), X_k = α_k·H + (1 − α_k)·X_{k−1};
 *     out = X_B·W_out + b_out. As in the authors' code, W₃ maps back to E, so every
 *     block has width E and needs no input projection (w = `width` is the gates'
 *     width). α_k (1 × 1 parameter "alpha<k>", after the block's dense layers) starts
 *     at 0, so the initial network is Φ·W_out + b_out. Dense layers as above (Glorot,
 *     zero biases, rwf if set) in the order U, V, then W₁ W₂ W₃ per block, then out.
 *     Without periodic/Fourier/Gaussian embedding Φ is the input itself (E = in_dim).
 *   - NT_NET_KAN (Chebyshev KAN; Liu et al. 2024, SS 2024): depth hidden layers of
 *     width `width`, depth + 1 layers; layer l maps x (n × in) to
 *     y_j = Σ_i Σ_{k=0..K} c_{jki} T_k(tanh(x_i)), K = kan_degree (1..16), T_k the
 *     Chebyshev polynomials; no bias, no normalization; `act` is not used and rwf is
 *     not allowed. Parameter "C<l>" is (out × (K+1)·in), entry (j, k·in + i), drawn
 *     N(0, 1/(in·(K+1))) (`init` is not used). */

typedef enum nt_net_type { NT_NET_MLP = 0, NT_NET_MODIFIED_MLP, NT_NET_PIRATE, NT_NET_KAN } nt_net_type;

#define NT_NET_MAX_DEPTH 60
#define NT_NET_MAX_HARMONICS 64
#define NT_NET_MAX_FEATURES 4096
#define NT_NET_MAX_BLOCKS 20       /* PirateNet blocks */
#define NT_NET_MAX_DEGREE 16       /* KAN Chebyshev degree */
#define NT_NET_MAX_GAUSSIANS 4096

typedef struct nt_net_config {
    nt_net_type type;
    int in_dim, out_dim, width, depth;   /* depth: hidden layers (1..60; ≥ 2 modified);
                                            pirate: blocks (1..NT_NET_MAX_BLOCKS) */
    nt_act act;
    nt_init init;
    double period[NT_JET_MAX_DIM];       /* > 0: periodic embedding of that input */
    int harmonics[NT_JET_MAX_DIM];       /* k = 1..harmonics (≥ 1 where period > 0) */
    int parity[NT_JET_MAX_DIM];          /* where period > 0: 0 none, 1 even, −1 odd */
    int fourier_features;                /* rows of B; 0 = no Fourier features */
    double fourier_scale;                /* standard deviation of B's entries */
    int rwf;                             /* 1 = random weight factorization */
    double rwf_mu, rwf_sigma;
    int kan_degree;                      /* kan: Chebyshev degree K (default 5) */
    int gaussians;                       /* Gaussian embedding: M (0 = none) */
    double gauss_sigma;                  /* initial σ of every Gaussian (default 0.1) */
} nt_net_config;

#define NT_NET_MAX_LAYERS (NT_NET_MAX_DEPTH + 3)

typedef struct nt_net_dense {
    nt_tensor *W;   /* (out × in): W itself, or V with rwf */
    nt_tensor *s;   /* (out × 1) log-scales with rwf, else NULL */
    nt_tensor *b;   /* (1 × out) */
} nt_net_dense;

typedef struct nt_net {
    nt_net_config cfg;
    int plain;                 /* no rwf and type mlp: the trunk is `mlp` */
    nt_mlp mlp;
    int n_dense;               /* modified: U, V, H_1, gates..., out; mlp+rwf: layers;
                                  pirate: U, V, W₁ W₂ W₃ per block, out; kan: C per layer (b NULL) */
    nt_net_dense dense[NT_NET_MAX_LAYERS];
    int embed_dim;             /* trunk input width */
    int n_per, n_pass;         /* periodic rows (Σ harmonics), passed-through inputs */
    int n_sin, n_odd;          /* sine rows (inputs without parity), odd inputs */
    nt_tensor per_A, pass_P;   /* fixed (n_per × in_dim) angular frequencies, (n_pass × in_dim) selection */
    nt_tensor sin_A, odd_A;    /* fixed (n_sin × in_dim) sine rows, (n_odd × in_dim) base frequencies */
    nt_tensor ff_B;            /* fixed (features × periodic output) = 2π·B */
    nt_tensor *alpha[NT_NET_MAX_BLOCKS]; /* pirate: (1 × 1) block weights */
    nt_tensor *g_mu, *g_logs;  /* Gaussian embedding: (1 × in_dim·M) each */
    nt_tensor g_mask;          /* fixed (in_dim × in_dim·M): 1 where column d·M + m has d */
} nt_net;

/* Number of scalars nt_net_init adds to a parameter block (0 for an invalid config). */
int64_t nt_net_param_count(const nt_net_config *cfg);
/* A configuration with no embedding and no rwf (plain MLP). */
nt_net_config nt_net_config_default(int in_dim, int out_dim, int width, int depth, nt_act act);
/* NT_ERR_ARG for a bad config (the message names the field) or a full block;
 * NT_ERR_NOMEM. The parameter block's dtype is the network's. */
nt_status nt_net_init(nt_net *m, const nt_net_config *cfg, nt_params *p, nt_rng *rng);
void nt_net_free(nt_net *m);
/* Plain forward: x (n × in_dim) -> (n × out_dim). */
nt_tensor *nt_net_forward(const nt_net *m, nt_tape *t, nt_tensor *x);
/* Jet forward: input jet (S·n × in_dim) -> output jet (S·n × out_dim). */
nt_tensor *nt_net_jet(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *jet);
/* PirateNet's physics-informed initialization: sets the output layer (W_out, b_out)
 * to the least-squares fit of y (n × out_dim, row-major) on the features that feed
 * it, X_B(x) (n × E), at the points x (n × in_dim, row-major, in the network's input
 * coordinates). With every α = 0 (as after nt_net_init) X_B = Φ, so the network then
 * reproduces y at x as far as a linear map of Φ plus a bias can (exactly when n ≤ E + 1
 * and the features are independent). Solved in double by Cholesky on the normal
 * equations [X 1]ᵀ[X 1] + λI, λ = 1e-12·trace/(E + 1) (raised ×100 up to 4 times if
 * the factorization fails); with rwf, V_out = W_out / exp(s_out). Records forward
 * nodes on t without gradients (the caller may reset t afterwards); changes nothing
 * else. NT_ERR_ARG if m is not a PirateNet or n < 1; NT_ERR_NUMERIC for non-finite
 * x, y or features, or a failed factorization; NT_ERR_NOMEM. */
nt_status nt_net_pirate_fit_output(nt_net *m, nt_tape *t, const double *x, const double *y, int64_t n);

/* ------------------------------------------------------------------------------ */
/* Neural operators (issue #6): spectral convolution, FNO, DeepONet, relative L2    */
/*
 * Grid layout ("channels last"): a batch of fields with C channels on an sx × sy grid
 * is a 2-D tensor of batch·sx·sy rows × C columns, rows ordered (b, jx, jy) — the
 * row-major array [batch][sx][sy][C]. A 1-D field of length s is [batch][s][C]
 * (batch·s rows). Pointwise (1×1 conv) layers are nt_linear on all rows. */

/* Spectral convolution, the Fourier layer's kernel integral: real FFT along the
 * grid axes, the lowest modes multiplied by complex weights W (the others zeroed),
 * inverse FFT normalized by 1/(sx·sy) (torch's irfft):
 *   1-D: x (batch·s × c_in); modes k = 0..modes−1, 1 ≤ modes ≤ s/2 + 1;
 *        W (c_in × c_out·modes·2) = the array [c_in][c_out][k][re, im].
 *   2-D: x (batch·sx·sy × c_in); 1 ≤ modes1 ≤ sx/2, 1 ≤ modes2 ≤ sy/2 + 1;
 *        W (c_in × c_out·2·modes1·modes2·2) = [c_in][c_out][a][ky][re, im] with
 *        ky < modes2 and kx = a for a < modes1, kx = sx − 2·modes1 + a otherwise
 *        (the FNO paper's two corner blocks, weights1 then weights2).
 * Returns (rows × c_out) with c_out read from W. The result is real by definition:
 * y = (1/N) Σ c·Re(Y e^{iθ}) with c = 1 for ky = 0 and ky = sy/2, else 2 (so the
 * imaginary part of a DC/Nyquist weight has no effect, as with torch's irfft).
 * Gradients flow to x and W. FFTs run in double for both dtypes; FFTW plans are made
 * once per (grid, modes2, channels) under a lock and reused (the lock does not guard
 * against other code planning with FFTW at the same moment). Shape errors assert. */
nt_tensor *nt_spectral_conv1d(nt_tape *t, nt_tensor *x, nt_tensor *W, int64_t s, int modes);
nt_tensor *nt_spectral_conv2d(nt_tape *t, nt_tensor *x, nt_tensor *W, int64_t sx, int64_t sy,
                              int modes1, int modes2);

/* Relative L2 error, mean over the batch of ‖pred_b − y_b‖₂ / ‖y_b‖₂ (a (1) tensor).
 * Sample b is rows [b·r, (b+1)·r) with r = rows/batch (any number of columns). The
 * denominators are constants (no gradient flows through them into y); the gradient
 * is undefined for a sample predicted exactly (‖pred_b − y_b‖ = 0). Returns NULL
 * with NT_ERR_ARG when a target sample is all zero. */
nt_tensor *nt_rel_l2(nt_tape *t, nt_tensor *pred, nt_tensor *y, int64_t batch);

/* Fourier Neural Operator (Li et al. 2021): lifting P (pointwise, input channels +
 * grid coordinates linspace(0, 1, s) per axis appended as extra channels -> width),
 * `layers` Fourier layers h <- GELU(K(h) + W·h + b) (no GELU after the last one),
 * projection Q: width -> proj_width -> GELU -> out_channels. Pointwise weights are
 * Glorot-uniform with zero biases; spectral weights are (1/(width²))·U[0,1) in both
 * real and imaginary parts, as in the paper's code. */
#define NT_FNO_MAX_LAYERS 16

typedef struct nt_fno_config {
    int dim;            /* 1 or 2 spatial dimensions */
    int in_channels;    /* channels of the input function (the grid is appended) */
    int out_channels;
    int width;
    int modes1;         /* 1-D: modes; 2-D: modes along x in each corner block */
    int modes2;         /* 2-D: modes along y; unused in 1-D */
    int layers;         /* Fourier layers, 1..NT_FNO_MAX_LAYERS */
    int proj_width;     /* hidden width of the projection */
} nt_fno_config;

typedef struct nt_fno {
    nt_fno_config cfg;
    nt_tensor *lift_W, *lift_b;            /* (width × in_channels+dim), (1 × width) */
    nt_tensor *spec_W[NT_FNO_MAX_LAYERS];  /* spectral weights, layout as above */
    nt_tensor *skip_W[NT_FNO_MAX_LAYERS];  /* (width × width) */
    nt_tensor *skip_b[NT_FNO_MAX_LAYERS];  /* (1 × width) */
    nt_tensor *proj1_W, *proj1_b;          /* (proj_width × width), (1 × proj_width) */
    nt_tensor *proj2_W, *proj2_b;          /* (out × proj_width), (1 × out) */
} nt_fno;

/* The paper's settings: 1-D width 64, modes 16; 2-D width 32, modes 12×12; 4
 * layers, projection 128, one input and one output channel. */
nt_fno_config nt_fno_config_default(int dim);
/* Number of scalars nt_fno_init adds to a parameter block (size nt_params with it). */
int64_t nt_fno_param_count(const nt_fno_config *cfg);
/* NT_ERR_ARG for a bad config (the message names the field) or a full block. */
nt_status nt_fno_init(nt_fno *m, const nt_fno_config *cfg, nt_params *p, nt_rng *rng);
/* a: (batch·s1·s2 × in_channels) on an s1 × s2 grid (1-D: s1 = s, s2 = 1), grid
 * layout above -> (batch·s1·s2 × out_channels). Any resolution works as long as the
 * modes fit (1-D: modes1 ≤ s/2+1; 2-D: 2·modes1 ≤ s1, modes2 ≤ s2/2+1); otherwise
 * NULL with NT_ERR_ARG. NULL with NT_ERR_NOMEM on out-of-memory. */
nt_tensor *nt_fno_forward(const nt_fno *m, nt_tape *t, nt_tensor *a, int64_t s1, int64_t s2);

/* DeepONet (Lu et al. 2021), Cartesian-product form: branch MLP on the sensor
 * values u (batch × n_sensors) -> b (batch × p), trunk MLP on the query points
 * y (n_query × coord_dim) -> τ (n_query × p), activated on its last layer too;
 * G(u)(y) = Σ_k b_k(u)·τ_k(y) + b0, a (batch × n_query) tensor. */
typedef struct nt_deeponet_config {
    int n_sensors;
    int coord_dim;
    int p;                              /* number of basis functions */
    int branch_width, branch_depth;     /* hidden layers of the branch MLP */
    int trunk_width, trunk_depth;
    nt_act act;
    nt_init init;
} nt_deeponet_config;

typedef struct nt_deeponet {
    nt_deeponet_config cfg;
    nt_mlp branch, trunk;
    nt_tensor *b0;                      /* (1 × 1) */
} nt_deeponet;

int64_t nt_deeponet_param_count(const nt_deeponet_config *cfg);
nt_status nt_deeponet_init(nt_deeponet *m, const nt_deeponet_config *cfg, nt_params *p,
                           nt_rng *rng);
nt_tensor *nt_deeponet_forward(const nt_deeponet *m, nt_tape *t, nt_tensor *u, nt_tensor *y);

/* ------------------------------------------------------------------------------ */
/* Optimizers                                                                       */

typedef enum nt_sched_kind {
    NT_SCHED_CONSTANT = 0,
    NT_SCHED_EXP,      /* lr · rate^(step / decay_steps) */
    NT_SCHED_COSINE,   /* lr_min + (lr − lr_min)·(1 + cos(π·step/total))/2 */
} nt_sched_kind;

typedef struct nt_schedule {
    nt_sched_kind kind;
    double lr;
    double rate;         /* NT_SCHED_EXP */
    int64_t decay_steps; /* NT_SCHED_EXP */
    int64_t total;       /* NT_SCHED_COSINE */
    double lr_min;       /* NT_SCHED_COSINE */
    int64_t warmup;      /* linear warmup from 0 over this many steps (any kind) */
} nt_schedule;

double nt_schedule_lr(const nt_schedule *s, int64_t step);

typedef struct nt_adam_config {
    double beta1, beta2, eps;
    double weight_decay;   /* decoupled (AdamW) when > 0 */
    nt_schedule sched;
} nt_adam_config;

typedef struct nt_adam {
    nt_adam_config cfg;
    nt_params *p;
    int64_t step;
    void *m, *v;           /* moments, dtype of p */
} nt_adam;

nt_adam_config nt_adam_config_default(double lr);
nt_status nt_adam_init(nt_adam *o, nt_params *p, const nt_adam_config *cfg);
void nt_adam_free(nt_adam *o);
/* One update from p->grad; returns the learning rate used. */
double nt_adam_step(nt_adam *o);

/* L-BFGS with a strong-Wolfe line search, over the flat parameter vector p.
 * The objective evaluates the loss at the current p->data and writes p->grad
 * (overwriting it). The optimizer's own arithmetic is in double for both dtypes.
 * A trial point that gives a non-finite loss or gradient counts as too long a step;
 * a non-finite point is never accepted. Do not modify p->data between steps. */
typedef double (*nt_objective_fn)(void *user, nt_params *p);

/* The inverse-Hessian estimate: L-BFGS's (s, y) history, or a dense n×n matrix
 * (n² doubles; meant for networks of a few thousand parameters) updated by BFGS,
 * self-scaled BFGS (Al-Baali's τ) or self-scaled Broyden (the SSBroyden2 choice of
 * τ and θ in Urbán, Stefanou & Pons, J. Comput. Phys. 2025). */
typedef enum nt_qn_update { NT_QN_LBFGS = 0, NT_QN_BFGS, NT_QN_SSBFGS, NT_QN_SSBROYDEN } nt_qn_update;

typedef struct nt_lbfgs_config {
    nt_qn_update update;  /* default NT_QN_LBFGS */
    int history;          /* pairs kept (m), default 50; L-BFGS only */
    int max_ls;           /* function evaluations per line search, default 25 */
    double c1, c2;        /* Wolfe constants, default 1e-4, 0.9 */
    double tol_grad;      /* stop when max|g| <= tol_grad, default 1e-9 (f64) / 1e-6 (f32) */
    double tol_change;    /* stop when |Δf| <= tol_change·max(1,|f|), default 1e-15 (f64) /
                             1e-12 (f32); also stop when no coordinate moved by more than
                             about one unit in the last place of the dtype */
} nt_lbfgs_config;

typedef enum nt_lbfgs_state {
    NT_LBFGS_RUNNING = 0,
    NT_LBFGS_CONVERGED_GRAD,
    NT_LBFGS_CONVERGED_CHANGE,
    NT_LBFGS_LINE_SEARCH_FAILED, /* no decrease possible at this precision */
    NT_LBFGS_NONFINITE           /* NaN/Inf at the start point (parameters, f or g) */
} nt_lbfgs_state;

typedef struct nt_lbfgs {
    nt_lbfgs_config cfg;
    nt_params *p;
    int64_t n;
    double *s, *y, *rho, *alpha;  /* history ring, n·m doubles each for s and y */
    double *d, *g, *x0, *g0;      /* direction, best trial's gradient (line-search
                                     scratch), current point and its gradient (double) */
    double *H, *hy;               /* dense modes: inverse Hessian (n×n, row-major) and H·y */
    int k;                        /* pairs stored */
    int head;
    int64_t iter;
    int64_t n_evals;
    double f;
    nt_lbfgs_state state;
    int started;
} nt_lbfgs;

nt_lbfgs_config nt_lbfgs_config_default(nt_dtype dt);
/* cfg NULL means nt_lbfgs_config_default(p->dtype). All memory is allocated here
 * (NT_ERR_NOMEM on failure; NT_ERR_ARG when a dense update is asked for more than
 * NT_QN_DENSE_MAX parameters); o->f is NaN until the first step. */
#define NT_QN_DENSE_MAX 16384
nt_status nt_lbfgs_init(nt_lbfgs *o, nt_params *p, const nt_lbfgs_config *cfg);
void nt_lbfgs_free(nt_lbfgs *o);
/* One L-BFGS iteration (a direction and a strong-Wolfe line search); the first call
 * also evaluates the start point. Returns the state; after a terminal state further
 * calls return it again without evaluating. o->f is the loss at the current point,
 * which is the best point found (never a NaN except after NT_LBFGS_NONFINITE), and
 * p->grad is its gradient. Allocates nothing. */
nt_lbfgs_state nt_lbfgs_step(nt_lbfgs *o, nt_objective_fn fn, void *user);
/* The objective changed (for example, new sample points): the next step evaluates
 * the current point afresh and the state returns to running; the curvature pairs
 * (or the dense matrix) are kept as the Hessian estimate (a step that is not a
 * descent direction drops them). */
void nt_lbfgs_restart(nt_lbfgs *o);
/* "lbfgs", "bfgs", "ssbfgs", "ssbroyden". */
const char *nt_qn_update_name(nt_qn_update u);

/* ------------------------------------------------------------------------------ */
/* Small I/O helpers                                                                */

/* Reads a numeric CSV with a header line. On success *cols holds the column names
 * (ncols strings) and *data rows×ncols doubles, row-major; free with nt_csv_free.
 * Errors name file:line:column in nt_error_msg. */
typedef struct nt_csv {
    int64_t rows;
    int ncols;
    char **names;
    double *data;
} nt_csv;

nt_status nt_csv_read(nt_csv *c, const char *path);
void nt_csv_free(nt_csv *c);
int nt_csv_col(const nt_csv *c, const char *name); /* -1 if absent */

/* Monotonic wall clock in seconds. */
double nt_time_now(void);

#ifdef __cplusplus
}
#endif
#endif /* NOETHER_H */
