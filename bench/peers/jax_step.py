#!/usr/bin/env python3
"""JAX peer for Noether's bench/step: time one full PINN training step.

The step (identical to Noether's and torch_step.py's):
  MLP (t, x) -> [width] * depth, tanh -> 1 linear output, Glorot-normal weights
  (plain normal, std sqrt(2/(fan_in+fan_out)), like torch.nn.init.xavier_normal_),
  zero biases.  N collocation points t~U[0,1], x~U[-1,1] (fixed); 128 initial
  points (t=0, x~U[-1,1], target -sin(pi x)); 128 boundary points (x=+-1, 64
  each, t~U[0,1], target 0).
  loss = mean(r^2) + mean((u_ic - u0)^2) + mean(u_bc^2)
    burgers: r = u_t + u u_x - (0.01/pi) u_xx
    ks:      r = u_t + u u_x + u_xx + u_xxxx
  then the parameter gradients (jax.value_and_grad) and one Adam update
  (lr 1e-3, betas 0.9/0.999, eps 1e-8, bias-corrected, as torch.optim.Adam).

As jaxpi does: u is a scalar function u(params, t, x); derivatives are nested
jax.grad w.r.t. t / x, vmapped over the points; the whole step (loss, gradient,
Adam) is one jax.jit with donated parameter/optimizer buffers.  Adam is
written here in jax (optax is not installed).

XLA_FLAGS and thread pinning must be in place before jax is imported, so the
script re-executes itself once with the requested environment (see --xla,
--threads).  Prints ONE JSON line.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

REEXEC_FLAG = "NT_PEER_REEXECED"
# Named XLA_FLAGS presets explored for this machine (see bench/PEERS.md).
XLA_PRESETS = {
    "none": "",
    "eigen1": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "eigen2": "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}",
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pde", choices=["burgers", "ks"], default="burgers")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--points", type=int, default=8192)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="CPUs the process may use (it is pinned to the first THREADS CPUs; "
                        "XLA sizes its pools from the affinity mask)")
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
    p.add_argument("--xla", default="eigen2",
                   help="XLA_FLAGS preset (%s) or a literal flag string; "
                        "'{threads}' is replaced by --threads" % ", ".join(XLA_PRESETS))
    p.add_argument("--form", choices=["jaxpi", "aux"], default="jaxpi",
                   help="jaxpi (default): separate jax.grad calls per derivative, as jaxpi writes "
                        "them (XLA CSE merges what it can); aux: one nested chain of jax.grad with "
                        "has_aux that hands the lower-order values up (u_t and u_x from one grad)")
    p.add_argument("--keep-openblas-env", action="store_true",
                   help="do not drop OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (jax does not use "
                        "OpenBLAS for this step)")
    return p.parse_args(argv)


def xla_flags(args):
    s = XLA_PRESETS.get(args.xla, args.xla)
    return s.replace("{threads}", str(args.threads)).strip()


def maybe_reexec(args):
    if os.environ.get(REEXEC_FLAG):
        return
    env = dict(os.environ)
    env[REEXEC_FLAG] = "1"
    flags = xla_flags(args)
    if flags:
        env["XLA_FLAGS"] = flags
    else:
        env.pop("XLA_FLAGS", None)
    env["JAX_PLATFORMS"] = "cpu"
    env["NT_PEER_OPENBLAS_ENV_BEFORE"] = ",".join(
        f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ)
    if not args.keep_openblas_env:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


def main():
    args = parse_args()
    maybe_reexec(args)
    ncpu = os.cpu_count() or 1
    if args.threads < ncpu and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(args.threads)))

    import numpy as np
    import jax
    import jax.numpy as jnp
    import jaxlib

    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    dt = jnp.float32 if args.dtype == "float32" else jnp.float64

    key = jax.random.PRNGKey(args.seed)
    kc, ki, kb, kp = jax.random.split(key, 4)

    # ---- data -----------------------------------------------------------------
    N = args.points
    k1, k2 = jax.random.split(kc)
    tc = jax.random.uniform(k1, (N,), dt, 0.0, 1.0)
    xc = jax.random.uniform(k2, (N,), dt, -1.0, 1.0)
    x_ic = jax.random.uniform(ki, (128,), dt, -1.0, 1.0)
    t_ic = jnp.zeros((128,), dt)
    u0 = -jnp.sin(math.pi * x_ic)
    t_bc = jax.random.uniform(kb, (128,), dt, 0.0, 1.0)
    x_bc = jnp.concatenate([-jnp.ones((64,), dt), jnp.ones((64,), dt)])
    tb = jnp.concatenate([t_ic, t_bc])
    xb = jnp.concatenate([x_ic, x_bc])
    nu = 0.01 / math.pi

    # ---- network ----------------------------------------------------------------
    sizes = [2] + [args.width] * args.depth + [1]
    params = []
    keys = jax.random.split(kp, len(sizes) - 1)
    for i in range(len(sizes) - 1):
        std = math.sqrt(2.0 / (sizes[i] + sizes[i + 1]))
        W = std * jax.random.normal(keys[i], (sizes[i], sizes[i + 1]), dt)
        params.append((W, jnp.zeros((sizes[i + 1],), dt)))

    def u_fn(p, t, x):
        h = jnp.stack([t, x])                      # column order t, x
        for W, b in p[:-1]:
            h = jnp.tanh(h @ W + b)
        W, b = p[-1]
        return (h @ W + b)[0]

    u_t_fn = jax.grad(u_fn, argnums=1)
    u_x_fn = jax.grad(u_fn, argnums=2)
    u_xx_fn = jax.grad(u_x_fn, argnums=2)
    u_xxxx_fn = jax.grad(jax.grad(u_xx_fn, argnums=2), argnums=2)
    pts = (None, 0, 0)

    # --form aux: each level returns the next derivative and carries the lower ones.
    def lvl1(p, t, x):
        u = u_fn(p, t, x)
        return u, u

    def lvl2(p, t, x):
        (u_t, u_x), u = jax.grad(lvl1, argnums=(1, 2), has_aux=True)(p, t, x)
        return u_x, (u, u_t, u_x)

    def lvl3(p, t, x):
        u_xx, (u, u_t, u_x) = jax.grad(lvl2, argnums=2, has_aux=True)(p, t, x)
        return u_xx, (u, u_t, u_x, u_xx)

    def lvl4(p, t, x):
        return jax.grad(lvl3, argnums=2, has_aux=True)(p, t, x)

    def aux_terms(p, t, x):
        if args.pde == "burgers":
            return lvl3(p, t, x)[1] + (None,)
        u_xxxx, (u, u_t, u_x, u_xx) = jax.grad(lvl4, argnums=2, has_aux=True)(p, t, x)
        return u, u_t, u_x, u_xx, u_xxxx

    def loss_fn(p):
        if args.form == "aux":
            u, u_t, u_x, u_xx, u_xxxx = jax.vmap(aux_terms, pts)(p, tc, xc)
        else:
            u = jax.vmap(u_fn, pts)(p, tc, xc)
            u_t = jax.vmap(u_t_fn, pts)(p, tc, xc)
            u_x = jax.vmap(u_x_fn, pts)(p, tc, xc)
            u_xx = jax.vmap(u_xx_fn, pts)(p, tc, xc)
            u_xxxx = jax.vmap(u_xxxx_fn, pts)(p, tc, xc) if args.pde == "ks" else None
        if args.pde == "burgers":
            r = u_t + u * u_x - nu * u_xx
        else:
            r = u_t + u * u_x + u_xx + u_xxxx
        ub = jax.vmap(u_fn, pts)(p, tb, xb)
        return jnp.mean(r ** 2) + jnp.mean((ub[:128] - u0) ** 2) + jnp.mean(ub[128:] ** 2)

    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8

    def step(p, m, v, count):
        loss, g = jax.value_and_grad(loss_fn)(p)
        count = count + 1
        c = count.astype(dt)
        m = jax.tree_util.tree_map(lambda m_, g_: b1 * m_ + (1 - b1) * g_, m, g)
        v = jax.tree_util.tree_map(lambda v_, g_: b2 * v_ + (1 - b2) * g_ * g_, v, g)
        bc1 = 1 - b1 ** c
        bc2 = 1 - b2 ** c
        p = jax.tree_util.tree_map(
            lambda p_, m_, v_: p_ - lr * (m_ / bc1) / (jnp.sqrt(v_ / bc2) + eps), p, m, v)
        return p, m, v, count, loss

    step_jit = jax.jit(step, donate_argnums=(0, 1, 2))
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    count = jnp.zeros((), jnp.int32)
    state = [params, m, v, count]

    def run_step():
        p_, m_, v_, c_, loss = step_jit(*state)
        state[:] = [p_, m_, v_, c_]
        return loss

    # ---- timing -------------------------------------------------------------------
    tw0 = time.perf_counter()
    loss0 = float(run_step())       # includes tracing + XLA compilation
    first_ms = (time.perf_counter() - tw0) * 1e3
    nw = max(args.warmup - 1, 1)
    tw = time.perf_counter()
    done = 0
    while done < nw:  # the extra warm-up steps stop early once they pass --seconds/2
        loss = run_step()
        loss.block_until_ready()
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
            loss = run_step()
        jax.block_until_ready((loss, state[0]))
        ms_all.append((time.perf_counter() - t0) * 1e3 / steps)
    final_loss = float(loss)

    obl = os.environ.get("NT_PEER_OPENBLAS_ENV_BEFORE", "")
    settings = (f"form={args.form}; jit(step) donate; XLA_FLAGS='{os.environ.get('XLA_FLAGS', '')}'; "
                f"affinity={sorted(os.sched_getaffinity(0))}"
                + (f"; unset {obl} for this process" if obl and not args.keep_openblas_env else "")
                + (f"; kept {obl}" if obl and args.keep_openblas_env else ""))
    out = {
        "impl": "jax" if args.form == "jaxpi" else "jax-aux",
        "pde": args.pde, "width": args.width, "depth": args.depth, "points": args.points,
        "dtype": args.dtype, "threads": args.threads,
        "ms_per_step": round(statistics.median(ms_all), 3),
        "ms_all": [round(x, 3) for x in ms_all],
        "steps": steps, "repeats": repeats, "warmup": args.warmup,
        "first_step_ms": round(first_ms, 1),
        "loss0": loss0, "loss_final": final_loss,
        "versions": {"python": sys.version.split()[0], "jax": jax.__version__,
                     "jaxlib": jaxlib.__version__, "numpy": np.__version__},
        "settings": settings,
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
