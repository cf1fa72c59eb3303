"""What routing and the duplicate index add to preparing one request (in-process, CPU).

    DATABASE_URL=sqlite:///$PWD/var/jiceng.sqlite3 \
        nice -n 10 .venv/bin/python bench/intake_insight.py

Needs a database with the demo tree and gazetteer (`make demo` or `seed_demo`). It times
`cases.services.case_prepare` (checks, routing, deadlines, drafting the rows; no write) for
`--rounds` demo-like submissions, interleaved: as shipped, and with the insight hooks replaced
by what intake did before (`route()` only, no extra rows). `time.process_time`, median per call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from jiceng.cases import services
    from jiceng.cases.models import Category, Channel
    from jiceng.core.actors import ANONYMOUS
    from jiceng.insight import routing_services
    from jiceng.orgs.models import OrgUnit

    area = OrgUnit.objects.get(code="QH-DH-LA")
    category = Category.objects.get(code="rubbish")
    shipped = (routing_services.place_case, routing_services.intake_rows)

    def before_place(*, actor, category, area, address, channel):  # type: ignore[no-untyped-def]
        routing = routing_services.CaseRouting()
        return routing_services.Placement(area, services.route(category, area), routing)

    def prepare(n: int) -> None:
        services.case_prepare(
            actor=ANONYMOUS,
            category=category,
            area=area,
            title=f"柳岸花园{n % 28 + 1}幢旁垃圾站满溢",
            description="垃圾站已经三天没有清运，气味很大，苍蝇很多，夏天更严重，请尽快安排清运。",
            address=f"柳岸花园{n % 28 + 1}幢",
            channel=Channel.WEB,
        )

    timings: dict[str, list[float]] = {"shipped": [], "before": []}
    for n in range(args.rounds + 20):
        for variant in ("shipped", "before"):
            if variant == "shipped":
                routing_services.place_case, routing_services.intake_rows = shipped
            else:
                routing_services.place_case = before_place  # type: ignore[assignment]
                routing_services.intake_rows = lambda case, placement: []  # type: ignore[assignment]
            t0 = time.process_time()
            prepare(n)
            if n >= 20:
                timings[variant].append((time.process_time() - t0) * 1000)
    routing_services.place_case, routing_services.intake_rows = shipped
    shipped_ms = statistics.median(timings["shipped"])
    before_ms = statistics.median(timings["before"])
    print(f"case_prepare CPU per call, median of {args.rounds}:")
    print(f"  with routing and duplicate index rows: {shipped_ms:.3f} ms")
    print(f"  route() only, no extra rows:           {before_ms:.3f} ms")
    print(f"  added: {shipped_ms - before_ms:.3f} ms ({shipped_ms / before_ms:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
