// The V8 flags `mediary start` runs with: package.json's start script and deploy/Dockerfile put them on the
// node command line (Node refuses --min-semi-space-size in NODE_OPTIONS); docs/deployment.md asks other
// launchers (systemd, pm2) to do the same. They give the young generation 16–32 MB semi-spaces from the
// start. With V8's default (it starts at 1 MB and sizes itself), a loaded API server settled two runs in
// three into a state where request objects outlive the young generation and are promoted: ~0.7 page faults
// and ~50 % more CPU a request, for the whole life of the process (docs/benchmarks.md, 2026-12-02).
export const SERVER_NODE_FLAGS = ['--min-semi-space-size=16', '--max-semi-space-size=32'] as const;
