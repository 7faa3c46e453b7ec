"""Card rendering: median time to render a card PNG after warm-up, and its size.

Run: python -m bench.card_render [renders]
Target (issue #8): median under 20 ms, PNG under 60 KB. Prints the figures on its last line.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bot.services.card_image import CardLabels, CardRenderer, CardView
from bot.services.card_tokens import CardTokens, deep_link


def main(renders: int = 300) -> None:
    renderer = CardRenderer()
    tokens = CardTokens(b"b" * 32, 600)
    labels = CardLabels(
        points="баллов",
        stamps="Штампы: 3 из 5",
        code_hint="Код для кассира",
        footer="Действует до 12:30",
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    views = [
        CardView(
            program_name="Кофейня «Зерно»",
            member_name="Анна Петрова",
            tier_name="Серебряный",
            tier_color="#A7B1BC",
            points=12_345,
            stamps=3,
            stamps_needed=5,
            qr_payload=deep_link(
                "loyalty_bot", tokens.issue(n + 1, 1, start + timedelta(seconds=n))
            ),
            short_code="ACDE7FGH",
            labels=labels,
        )
        for n in range(renders + 20)
    ]
    for view in views[:20]:
        renderer.render(view)
    timings, sizes = [], []
    for view in views[20:]:
        began = time.perf_counter()
        png = renderer.render(view)
        timings.append((time.perf_counter() - began) * 1000)
        sizes.append(len(png))
    median = statistics.median(timings)
    p90 = statistics.quantiles(timings, n=10)[-1]
    print(
        f"renders={renders} median_ms={median:.1f} p90_ms={p90:.1f} "
        f"max_kb={max(sizes) / 1024:.1f} target_ms=20 target_kb=60 "
        f"{'OK' if median < 20 and max(sizes) < 60 * 1024 else 'MISSED'}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
