#!/usr/bin/env python3
"""PyTorch peer for Noether's bench/step: time one full PINN training step.

The step (identical to Noether's and jax_step.py's):
  MLP (t, x) -> [width] * depth, tanh -> 1 linear output, Glorot-normal weights,
  zero biases.  N collocation points t~U[0,1], x~U[-1,1] (fixed); 128 initial
  points (t=0, x~U[-1,1], target -sin(pi x)); 128 boundary points (x=+-1, 64
  each, t~U[0,1], target 0).
  loss = mean(r^2) + mean((u_ic - u0)^2) + mean(u_bc^2)
    burgers: r = u_t + u u_x - (0.01/pi) u_xx
    ks:      r = u_t + u u_x + u_xx + u_xxxx
  then backward to the parameter gradients and one Adam update (lr 1e-3).

--mode eager (default, the DeepXDE-like baseline): derivatives by nested
  torch.autograd.grad(..., create_graph=True) of u.sum() w.r.t. the input
  tensor, exactly as DeepXDE does; optimizer torch.optim.Adam.
--mode compile: the same maths written with torch.func (grad/vmap of a scalar
  u(t, x), as jax_step.py does) and the loss-and-gradient function passed to
  torch.compile (AOTAutograd cannot compile create_graph=True double backward,
  so the eager formulation cannot be compiled as is).

Process-level settings (thread counts, allocator) must be in place before the
interpreter starts, so the script re-executes itself once with the requested
environment (see --alloc, --omp-threads, --keep-openblas-env).  Prints ONE
JSON line.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

LIBDIR = "/usr/lib/x86_64-linux-gnu"
ALLOCATORS = {
    "glibc": {},
    # Keep freed memory in the heap: no trimming/munmap of the large per-step
    # activation buffers (the classic cause of slow PyTorch CPU steps).
    "trim": {"MALLOC_TRIM_THRESHOLD_": "-1", "MALLOC_MMAP_THRESHOLD_": "1073741824",
             "MALLOC_TOP_PAD_": "268435456"},
    "jemalloc": {"LD_PRELOAD": LIBDIR + "/libjemalloc.so.2"},
    "jemalloc-nodecay": {"LD_PRELOAD": LIBDIR + "/libjemalloc.so.2",
                         "MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"},
    "tcmalloc": {"LD_PRELOAD": LIBDIR + "/libtcmalloc_minimal.so.4"},
    "tcmalloc-norelease": {"LD_PRELOAD": LIBDIR + "/libtcmalloc_minimal.so.4",
                           "TCMALLOC_RELEASE_RATE": "0"},
}
ALLOC_VARS = sorted({k for v in ALLOCATORS.values() for k in v})
REEXEC_FLAG = "NT_PEER_REEXECED"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pde", choices=["burgers", "ks"], default="burgers")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--points", type=int, default=8192)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="intra-op threads (torch.set_num_threads); with fewer threads than "
                        "CPUs the process is also pinned to the first THREADS CPUs")
    p.add_argument("--steps", type=int, default=0,
                   help="timed steps per repeat (default: enough for ~--seconds in total)")
    p.add_argument("--seconds", type=float, default=3.0,
                   help="target total timed seconds when --steps is not given")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--min-repeats", type=int, default=3,
                   help="when a step is slower than --seconds/--repeats, repeats drop to fit "
                        "--seconds but not below this")
    p.add_argument("--warmup", type=int, default=3,
                   help="untimed steps before timing, the first one included (it also measures "
                        "first_step_ms: tracing/compilation for jax and torch.compile)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--mode", choices=["eager", "compile"], default="eager")
    p.add_argument("--alloc", choices=sorted(ALLOCATORS), default="tcmalloc-norelease",
                   help="allocator / glibc malloc tuning (default tcmalloc without page release; falls back to "
                        "'trim' when the preloaded library is not installed)")
    p.add_argument("--omp-threads", type=int, default=None,
                   help="OMP_NUM_THREADS/MKL_NUM_THREADS for the process (default: --threads)")
    p.add_argument("--interop-threads", type=int, default=1)
    p.add_argument("--omp-wait", choices=["active", "passive", "unset"], default="active",
                   help="OMP_WAIT_POLICY for the process (default active: fastest on 2 idle cores, "
                        "but collapses when another process competes for a core; use passive then)")
    p.add_argument("--adam", choices=["default", "foreach", "fused"], default="default",
                   help="torch.optim.Adam implementation (default = DeepXDE's plain Adam(lr))")
    p.add_argument("--keep-openblas-env", action="store_true",
                   help="do not drop OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (torch uses MKL here, "
                        "so they only touch numpy's bundled OpenBLAS, which the step never calls)")
    return p.parse_args(argv)


def wanted_env(args):
    env = dict(os.environ)
    alloc = args.alloc
    if "LD_PRELOAD" in ALLOCATORS[alloc] and not os.path.exists(ALLOCATORS[alloc]["LD_PRELOAD"]):
        print(f"torch_step: {ALLOCATORS[alloc]['LD_PRELOAD']} missing; using --alloc trim",
              file=sys.stderr)
        alloc = "trim"
    for k in ALLOC_VARS:
        env.pop(k, None)
    env.update(ALLOCATORS[alloc])
    omp = str(args.omp_threads if args.omp_threads else args.threads)
    env["OMP_NUM_THREADS"] = omp
    env["MKL_NUM_THREADS"] = omp
    if args.omp_wait == "unset":
        env.pop("OMP_WAIT_POLICY", None)
    else:
        env["OMP_WAIT_POLICY"] = args.omp_wait.upper()
    if not args.keep_openblas_env:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    env["NT_PEER_ALLOC"] = alloc
    return env


def maybe_reexec(args):
    if os.environ.get(REEXEC_FLAG):
        return
    env = wanted_env(args)
    env[REEXEC_FLAG] = "1"
    env["NT_PEER_OPENBLAS_ENV_BEFORE"] = ",".join(
        f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


def main():
    args = parse_args()
    maybe_reexec(args)
    ncpu = os.cpu_count() or 1
    if args.threads < ncpu and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(args.threads)))

    import numpy as np  # noqa: F401  (torch imports it anyway; versions below)
    import torch

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.interop_threads)
    except RuntimeError:
        pass
    dt = torch.float32 if args.dtype == "float32" else torch.float64
    torch.set_default_dtype(dt)
    torch.manual_seed(args.seed)

    # ---- data ---------------------------------------------------------------
    N = args.points
    g = torch.Generator().manual_seed(args.seed)
    tc = torch.rand(N, 1, generator=g, dtype=dt)
    xc = torch.rand(N, 1, generator=g, dtype=dt) * 2 - 1
    X = torch.cat([tc, xc], dim=1).requires_grad_(True)           # column order t, x
    x_ic = torch.rand(128, 1, generator=g, dtype=dt) * 2 - 1
    X_ic = torch.cat([torch.zeros_like(x_ic), x_ic], dim=1)
    u0 = -torch.sin(math.pi * x_ic)
    t_bc = torch.rand(128, 1, generator=g, dtype=dt)
    x_bc = torch.cat([-torch.ones(64, 1, dtype=dt), torch.ones(64, 1, dtype=dt)])
    X_bc = torch.cat([t_bc, x_bc], dim=1)
    X_b = torch.cat([X_ic, X_bc])  # IC and BC points share one forward pass (no derivatives)
    nu = 0.01 / math.pi

    # ---- network --------------------------------------------------------------
    sizes = [2] + [args.width] * args.depth + [1]
    layers = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.xavier_normal_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    net = torch.nn.Sequential(*layers)
    adam_kw = {}
    if args.adam == "foreach":
        adam_kw["foreach"] = True
    elif args.adam == "fused":
        adam_kw["fused"] = True
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, **adam_kw)

    if args.mode == "eager":
        def grad(y, x):
            return torch.autograd.grad(y.sum(), x, create_graph=True)[0]

        def loss_fn():
            u = net(X)
            du = grad(u, X)
            u_t, u_x = du[:, 0:1], du[:, 1:2]
            u_xx = grad(u_x, X)[:, 1:2]
            if args.pde == "burgers":
                r = u_t + u * u_x - nu * u_xx
            else:
                u_xxx = grad(u_xx, X)[:, 1:2]
                u_xxxx = grad(u_xxx, X)[:, 1:2]
                r = u_t + u * u_x + u_xx + u_xxxx
            ub = net(X_b)
            return (r ** 2).mean() + ((ub[:128] - u0) ** 2).mean() + (ub[128:] ** 2).mean()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn()
            loss.backward()
            opt.step()
            return loss
    else:
        from torch.func import functional_call, grad as fgrad, vmap

        names = [n for n, _ in net.named_parameters()]
        params = [p for _, p in net.named_parameters()]
        tcol, xcol = X[:, 0].detach(), X[:, 1].detach()

        def u_scalar(pvals, t, x):
            inp = torch.stack([t, x]).unsqueeze(0)
            return functional_call(net, dict(zip(names, pvals)), (inp,))[0, 0]

        # Nested torch.func.grad with has_aux, so that each level reuses the
        # lower-order values instead of recomputing them (fewer GEMMs than
        # separate grad calls; inductor does not merge those).
        def lvl1(pvals, t, x):
            u = u_scalar(pvals, t, x)
            return u, u

        def lvl2(pvals, t, x):
            (u_t, u_x), u = fgrad(lvl1, argnums=(1, 2), has_aux=True)(pvals, t, x)
            return u_x, (u, u_t, u_x)

        def lvl3(pvals, t, x):
            u_xx, (u, u_t, u_x) = fgrad(lvl2, argnums=2, has_aux=True)(pvals, t, x)
            return u_xx, (u, u_t, u_x, u_xx)

        def lvl4(pvals, t, x):
            u_xxx, aux = fgrad(lvl3, argnums=2, has_aux=True)(pvals, t, x)
            return u_xxx, aux

        def ks_terms(pvals, t, x):
            u_xxxx, (u, u_t, u_x, u_xx) = fgrad(lvl4, argnums=2, has_aux=True)(pvals, t, x)
            return u, u_t, u_x, u_xx, u_xxxx

        def burgers_terms(pvals, t, x):
            return lvl3(pvals, t, x)[1]

        def loss_of(pvals):
            if args.pde == "burgers":
                u, u_t, u_x, u_xx = vmap(burgers_terms, in_dims=(None, 0, 0))(pvals, tcol, xcol)
                r = u_t + u * u_x - nu * u_xx
            else:
                u, u_t, u_x, u_xx, u_xxxx = vmap(ks_terms, in_dims=(None, 0, 0))(pvals, tcol, xcol)
                r = u_t + u * u_x + u_xx + u_xxxx
            ub = functional_call(net, dict(zip(names, pvals)), (X_b,))
            return (r ** 2).mean() + ((ub[:128] - u0) ** 2).mean() + (ub[128:] ** 2).mean()

        from torch.func import grad_and_value
        loss_and_grads = torch.compile(grad_and_value(loss_of))

        def step():
            grads, loss = loss_and_grads([p.detach() for p in params])
            for p, gr in zip(params, grads):
                p.grad = gr
            opt.step()
            return loss

    # ---- timing -----------------------------------------------------------------
    tw0 = time.perf_counter()
    loss0 = float(step().item())
    first_ms = (time.perf_counter() - tw0) * 1e3
    tw = time.perf_counter()
    nw = max(args.warmup - 1, 1)
    done = 0
    while done < nw:  # the extra warm-up steps stop early once they pass --seconds/2
        step()
        done += 1
        if time.perf_counter() - tw > args.seconds / 2:
            break
    est = (time.perf_counter() - tw) / done
    repeats = max(args.repeats, 1)
    if args.steps > 0:
        steps = args.steps
    else:
        # ~--seconds of timed work in all; a slow step gets 1 step per repeat and,
        # if even that overshoots, fewer repeats (never below --min-repeats).
        steps = max(1, int(round(args.seconds / repeats / est)))
        if steps == 1 and est * repeats > args.seconds:
            repeats = max(min(args.min_repeats, repeats), min(repeats, math.ceil(args.seconds / est)))
    ms_all = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            loss = step()
        ms_all.append((time.perf_counter() - t0) * 1e3 / steps)
    final_loss = float(loss.item())

    obl = os.environ.get("NT_PEER_OPENBLAS_ENV_BEFORE", "")
    settings = (f"mode={args.mode}; torch.set_num_threads({args.threads}); "
                f"set_num_interop_threads({args.interop_threads}); "
                f"OMP_NUM_THREADS=MKL_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; "
                f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}; "
                f"alloc={os.environ.get('NT_PEER_ALLOC')}"
                + (f" (LD_PRELOAD={os.environ['LD_PRELOAD']})" if os.environ.get("LD_PRELOAD") else "")
                + "".join(f" {k}={os.environ[k]}" for k in ALLOC_VARS if k != "LD_PRELOAD" and k in os.environ)
                + f"; adam={args.adam}"
                + f"; affinity={sorted(os.sched_getaffinity(0))}"
                + (f"; unset {obl} for this process" if obl and not args.keep_openblas_env else "")
                + (f"; kept {obl}" if obl and args.keep_openblas_env else ""))
    out = {
        "impl": "torch" if args.mode == "eager" else "torch-compile",
        "pde": args.pde, "width": args.width, "depth": args.depth, "points": args.points,
        "dtype": args.dtype, "threads": args.threads,
        "ms_per_step": round(statistics.median(ms_all), 3),
        "ms_all": [round(m, 3) for m in ms_all],
        "steps": steps, "repeats": repeats, "warmup": args.warmup,
        "first_step_ms": round(first_ms, 1),
        "loss0": loss0, "loss_final": final_loss,
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__,
                     "numpy": np.__version__, "blas": "MKL" if torch.backends.mkl.is_available() else "?"},
        "settings": settings,
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
