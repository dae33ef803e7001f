/* bench/engine/mandel.c — floating-point kernel: escape-time iteration
 * counts over a grid of the complex plane (double precision), plus a small
 * gravitational n-body integration. Self-check: the grid's total lies in a
 * known range and the n-body energy drifts by less than 1e-3. */
#include <math.h>
#include "kern.h"

static uint64_t mandel(int w, int h, int maxit)
{
	uint64_t total = 0;

	for (int y = 0; y < h; y++) {
		double ci = -1.25 + 2.5 * y / h;

		for (int x = 0; x < w; x++) {
			double cr = -2.0 + 2.75 * x / w, zr = 0, zi = 0;
			int it = 0;

			while (it < maxit && zr * zr + zi * zi <= 4.0) {
				double t = zr * zr - zi * zi + cr;

				zi = 2 * zr * zi + ci;
				zr = t;
				it++;
			}
			total += (uint64_t)it;
		}
	}
	return total;
}

#define NB 6

struct body {
	double p[3], v[3], m;
};

static double energy(const struct body *b)
{
	double e = 0;

	for (int i = 0; i < NB; i++) {
		e += 0.5 * b[i].m *
		     (b[i].v[0] * b[i].v[0] + b[i].v[1] * b[i].v[1] +
		      b[i].v[2] * b[i].v[2]);
		for (int j = i + 1; j < NB; j++) {
			double d[3], r2 = 0;

			for (int k = 0; k < 3; k++) {
				d[k] = b[i].p[k] - b[j].p[k];
				r2 += d[k] * d[k];
			}
			e -= b[i].m * b[j].m / sqrt(r2);
		}
	}
	return e;
}

static void step(struct body *b, double dt)
{
	for (int i = 0; i < NB; i++) {
		for (int j = i + 1; j < NB; j++) {
			double d[3], r2 = 0, f;

			for (int k = 0; k < 3; k++) {
				d[k] = b[i].p[k] - b[j].p[k];
				r2 += d[k] * d[k];
			}
			f = dt / (r2 * sqrt(r2));
			for (int k = 0; k < 3; k++) {
				b[i].v[k] -= d[k] * b[j].m * f;
				b[j].v[k] += d[k] * b[i].m * f;
			}
		}
	}
	for (int i = 0; i < NB; i++)
		for (int k = 0; k < 3; k++)
			b[i].p[k] += dt * b[i].v[k];
}

static double nbody(int steps)
{
	struct body b[NB];
	double e0;

	for (int i = 0; i < NB; i++) {
		double a = i * 1.0471975511965976, r = 1.0 + i;

		b[i].m = i ? 1e-3 / (i + 1) : 1.0;
		b[i].p[0] = i ? r * cos(a) : 0;
		b[i].p[1] = i ? r * sin(a) : 0;
		b[i].p[2] = 0.01 * i;
		b[i].v[0] = i ? -sin(a) / sqrt(r) : 0;
		b[i].v[1] = i ? cos(a) / sqrt(r) : 0;
		b[i].v[2] = 0;
	}
	e0 = energy(b);
	for (int s = 0; s < steps; s++)
		step(b, 0.001);
	return (energy(b) - e0) / e0;
}

int main(int argc, char **argv)
{
	double sc = kern_scale(argc, argv);
	int h = (int)(400 * sqrt(sc)) + 8;
	uint64_t t0 = kern_start(), it;
	double drift;

	it = mandel(h * 3 / 2, h, 200);
	drift = nbody((int)(300000 * sc) + 10);
	return kern_report("mandel",
			   it * 1000003 + (uint64_t)(fabs(drift) * 1e12), t0,
			   fabs(drift) < 1e-3 && it > (uint64_t)h * h / 4);
}
