#!/usr/bin/python3
"""Peer side of `bench/run fem`: the same linear diffusion-decay problem on the same mesh with FEniCS (dolfin 2019).

Reads <workdir>/mesh.xml (dolfin XML written by ShapeStudy.Bench), initial.bin (float64 per vertex), problem.json
(D, k, dt, steps, rtol), solves  (u - u_n)/dt*v + D grad u . grad v + k u v = 0  (backward Euler, P1, zero flux) with
PETSc CG + Jacobi (nonzero initial guess u_n), and compares with <workdir>/ours_final.bin in the L2 norm on the mesh.
Prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import dolfin as df

work = sys.argv[1]
prob = json.load(open(f"{work}/problem.json"))
D, k, dt, steps, rtol = prob["d_um2_per_ms"], prob["k_per_ms"], prob["dt_ms"], prob["steps"], prob["rtol"]

df.set_log_level(df.LogLevel.WARNING)
mesh = df.Mesh(f"{work}/mesh.xml")
V = df.FunctionSpace(mesh, "P", 1)
v2d = df.vertex_to_dof_map(V)


def from_vertex_values(values):
    f = df.Function(V)
    arr = np.empty(V.dim())
    arr[v2d] = values
    f.vector().set_local(arr)
    f.vector().apply("insert")
    return f


u_n = from_vertex_values(np.fromfile(f"{work}/initial.bin", dtype=np.float64))
u, w = df.TrialFunction(V), df.TestFunction(V)
t0 = time.perf_counter()
A = df.assemble(u * w * df.dx + dt * (D * df.dot(df.grad(u), df.grad(w)) + k * u * w) * df.dx)
M = df.assemble(u * w * df.dx)
solver = df.PETScKrylovSolver("cg", "jacobi")
solver.set_operator(A)
solver.parameters["relative_tolerance"] = rtol
solver.parameters["absolute_tolerance"] = 1e-30
solver.parameters["maximum_iterations"] = 100000
solver.parameters["nonzero_initial_guess"] = True
setup_s = time.perf_counter() - t0

uh = df.Function(V)
uh.vector()[:] = u_n.vector()
b = df.Vector(u_n.vector())
iters = 0
step_times = []
cpu0 = time.process_time()
for n in range(steps):
    t1 = time.perf_counter()
    M.mult(u_n.vector(), b)
    iters += solver.solve(uh.vector(), b)
    u_n.vector()[:] = uh.vector()
    step_times.append(time.perf_counter() - t1)

cpu_s = time.process_time() - cpu0
ours = from_vertex_values(np.fromfile(f"{work}/ours_final.bin", dtype=np.float64))
diff = df.assemble((ours - uh) ** 2 * df.dx) ** 0.5
norm = df.assemble(uh ** 2 * df.dx) ** 0.5
amount = df.assemble(uh * df.dx)
print(json.dumps({
    "tool": f"dolfin {df.__version__} (PETSc CG + Jacobi)",
    "vertices": mesh.num_vertices(), "tets": mesh.num_cells(), "setup_s": setup_s,
    "run_s": sum(step_times), "per_step_s": sum(step_times) / steps, "median_step_s": float(np.median(step_times)), "cpu_per_step_s": cpu_s / steps,
    "linear_iterations": int(iters), "final_amount": amount, "l2_rel_diff": diff / norm,
}))
