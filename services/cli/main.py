"""The `engage` command: run the whole system (`engage up`) or one part of it."""

from __future__ import annotations

import argparse
import os
import sys


def _cmd_gen(args) -> int:
    from services.tools import codegen

    return codegen.main(check=args.check)


def _cmd_migrate(args) -> int:
    from services.common import migrate
    from services.common.config import settings

    url = settings().database_url
    if not url:
        raise SystemExit("DATABASE_URL is not set")
    if args.downgrade:
        migrate.downgrade(url, args.downgrade)
    else:
        migrate.upgrade(url, args.revision)
    return 0


def _cmd_serve(args) -> int:
    from services.common import server
    from services.common.config import settings

    processes = args.processes or settings().grpc_processes
    if processes > 1:
        return server.serve_processes(settings(), args.service or None, processes)
    server.serve(settings(), args.service or None, reuse_port=args.reuse_port)
    return 0


def _cmd_worker(args) -> int:
    argv = [sys.executable, "-m", "dramatiq", "services.actors", "--processes", str(args.processes), "--threads", str(args.threads)]
    os.execv(sys.executable, argv)


def _cmd_scheduler(args) -> int:
    import signal
    import threading
    from zoneinfo import ZoneInfo

    from services.common import scheduler
    from services.common.config import settings
    from services.schedule import jobs_table

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.run(jobs_table(), ZoneInfo(settings().timezone), stop)
    return 0


def _cmd_edge(args) -> int:
    from services.common.config import settings
    from services.edge import envoy

    s = settings()
    if args.print_config:
        import json

        print(json.dumps(envoy.render(s), indent=2))
        return 0
    config = envoy.write_config(s, s.home / "envoy.json")
    argv = [envoy.envoy_binary(), "-c", str(config), "--concurrency", str(args.concurrency), "--log-level", args.log_level, "--use-dynamic-base-id"]
    os.execv(argv[0], argv)


def _cmd_token(args) -> int:
    from services.common import auth
    from services.common.config import settings

    if not 1 <= len(args.user) <= auth.MAX_USER_ID_LEN:
        raise SystemExit("--user must be 1 to 128 characters")
    print(auth.issue_token(settings(), args.user, args.role, ttl_seconds=args.ttl))
    return 0


def _cmd_up(args) -> int:
    from services.cli import up

    return up.main()


def _cmd_bench(args) -> int:
    from services.tools import bench

    return bench.main(args)


def _cmd_bench_rewards(args) -> int:
    from services.tools import bench_rewards

    return bench_rewards.main(args)


def _cmd_bench_segments(args) -> int:
    from services.tools import bench_segments

    return bench_segments.main(args)


def _cmd_bench_loyalty(args) -> int:
    from services.tools import bench_loyalty

    return bench_loyalty.main(args)


def _cmd_bench_campaign(args) -> int:
    from services.tools import bench_campaign

    return bench_campaign.main(args)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="engage", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("up", help="run everything on embedded defaults (PostgreSQL, gRPC, Envoy, worker, scheduler)").set_defaults(fn=_cmd_up)

    g = sub.add_parser("gen", help="regenerate gen/ from protos/")
    g.add_argument("--check", action="store_true", help="fail if gen/ is stale instead of writing")
    g.set_defaults(fn=_cmd_gen)

    m = sub.add_parser("migrate", help="apply database migrations (DATABASE_URL)")
    m.add_argument("--revision", default="head")
    m.add_argument("--downgrade", metavar="REV", help="downgrade to REV (e.g. base) instead")
    m.set_defaults(fn=_cmd_migrate)

    s = sub.add_parser("serve", help="serve the gRPC services")
    s.add_argument("--service", action="append", help="serve only this service (repeatable)")
    s.add_argument("--processes", type=int, default=0, help="server processes on one port (default GRPC_PROCESSES)")
    s.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # set for the processes of --processes
    s.set_defaults(fn=_cmd_serve)

    w = sub.add_parser("worker", help="run a Dramatiq worker for every actor")
    w.add_argument("--processes", type=int, default=1)
    w.add_argument("--threads", type=int, default=4)
    w.set_defaults(fn=_cmd_worker)

    sub.add_parser("scheduler", help="run the scheduler (safe to run several)").set_defaults(fn=_cmd_scheduler)

    e = sub.add_parser("edge", help="run the Envoy REST edge")
    e.add_argument("--concurrency", type=int, default=1)
    e.add_argument("--log-level", default="warning")
    e.add_argument("--print-config", action="store_true", help="print the rendered Envoy configuration and exit")
    e.set_defaults(fn=_cmd_edge)

    t = sub.add_parser("token", help="print a dev JWT signed by the local dev key")
    t.add_argument("--user", required=True, help="the token's subject (user id)")
    t.add_argument("--role", default="user", choices=["user", "admin", "service"])
    t.add_argument("--ttl", type=int, default=24 * 3600, help="lifetime in seconds")
    t.set_defaults(fn=_cmd_token)

    b = sub.add_parser("bench", help="benchmark RecordActivity (gRPC single/batch, REST) against pgbench")
    b.add_argument("--seconds", type=float, default=10.0)
    b.add_argument("--concurrency", type=int, default=16)
    b.add_argument("--processes", type=int, default=2, help="gRPC server processes (GRPC_PROCESSES)")
    b.set_defaults(fn=_cmd_bench)

    br = sub.add_parser("bench-rewards", help="benchmark coupon redemptions and pool opens (hot and spread) against pgbench")
    br.add_argument("--seconds", type=float, default=10.0)
    br.add_argument("--concurrency", type=int, default=32)
    br.add_argument("--processes", type=int, default=2, help="gRPC server processes (GRPC_PROCESSES)")
    br.set_defaults(fn=_cmd_bench_rewards)

    bs = sub.add_parser("bench-segments", help="benchmark the segmentation batch over synthetic users")
    bs.add_argument("--users", type=int, default=1_000_000)
    bs.set_defaults(fn=_cmd_bench_segments)

    bl = sub.add_parser("bench-loyalty", help="benchmark the dashboard and leaderboards over synthetic members")
    bl.add_argument("--users", type=int, default=1_000_000)
    bl.add_argument("--requests", type=int, default=1_000, help="calls timed per case")
    bl.add_argument("--writer-rate", type=float, default=20.0, help="purchases a second written through the real event path during the reads (0: none)")
    bl.set_defaults(fn=_cmd_bench_loyalty)
    bc = sub.add_parser("bench-campaign", help="benchmark a campaign's launch, enqueue and delivery by worker processes")
    bc.add_argument("--users", type=int, default=100_000, help="users delivered by the workers")
    bc.add_argument("--enqueue-users", type=int, default=1_000_000, help="users of the campaign only launched and enqueued (0: skip)")
    bc.add_argument("--batch-size", type=int, default=0, help="users per batch message (default CAMPAIGN_BATCH_SIZE)")
    bc.add_argument("--workers", type=int, default=2, help="worker processes")
    bc.add_argument("--threads", type=int, default=4, help="threads per worker process")
    bc.add_argument("--timeout", type=float, default=600, help="seconds to wait for the deliveries")
    bc.add_argument("--broker-url", default="", help="broker of the benchmark (default: a PostgreSQL queue in the scratch "
                    "database; an inherited BROKER_URL is ignored so a shared queue is never purged or consumed)")
    bc.add_argument("--reward", choices=("tokens", "points", "coupon", "offer"), default="tokens", help="the campaign's reward type")
    bc.set_defaults(fn=_cmd_bench_campaign)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from services.common import logs
    from services.common.config import settings

    logs.configure(settings().log_level)
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
