#!/usr/bin/python3
"""Charts benchmark results as one self-contained SVG (no dependencies), for the README.

  bench/chart.py [RESULTS.json ...] [--compare-log LOG ...] [--out bench/chart.svg] [--title TEXT]

RESULTS.json: a list of objects {"workload", "server", and any of "ops_per_sec", "cpu_us_per_op",
"p99_ms", "bytes_per_key", "peer"} as the bench scripts write them with --json (missing fields are
skipped; several records of one workload and server are reduced to their median).
LOG: saved output of ../shared/tools/compare-bench (or bench/run-compare.sh): its last
`RATIOS k=v ...` and `CPU k=v ...` lines, already target/peer ratios; `garnet_<w>` is Garnet on
workload <w>; the peer is Redis for resp_* and memcached for mc_*.

Panels, each drawn only when it has data: throughput relative to the peer (higher is better), server
CPU per operation relative to the peer (lower is better), p99 latency relative to the peer (lower is
better), RSS bytes per key (absolute, with the ratio to the peer). One group of horizontal bars per
workload, one bar per server; the peer of a workload is its "peer" field, else redis, else memcached.
"""
import argparse, json, os, re, statistics, sys
from xml.sax.saxutils import escape

SERVER_ORDER = ["cachecluster", "redis", "memcached", "garnet"]
COLORS = {"cachecluster": "#2f6fb7", "redis": "#d2453b", "memcached": "#3c9a4a", "garnet": "#8a5bb5"}
EXTRA_COLORS = ["#e08a1e", "#5a5a5a", "#17a2b8", "#b5517a", "#8c6d31"]
FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif"

# (metric field, panel title, relative to the peer?, what is better)
PANELS = [
    ("ops_per_sec", "Throughput relative to the peer (peer = 1.0)", True, "higher is better"),
    ("cpu_us_per_op", "Server CPU per operation relative to the peer (peer = 1.0)", True, "lower is better"),
    ("p99_ms", "p99 latency relative to the peer (peer = 1.0)", True, "lower is better"),
    ("bytes_per_key", "Memory: RSS bytes per key", False, "lower is better"),
]


def load_json(path):
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict): data = data.get("results", [data])
    out = []
    for r in data if isinstance(data, list) else []:
        if isinstance(r, dict) and r.get("workload") is not None and r.get("server") is not None:
            out.append(r)
    return out


def number(v):
    try:
        v = float(v)
        return v if v == v and v not in (float("inf"), float("-inf")) else None
    except (TypeError, ValueError):
        return None


def parse_compare_log(path):
    """{metric: {workload: {server: ratio}}} from the last RATIOS and CPU lines of a compare-bench log."""
    last = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"\s*(RATIOS|CPU)\s+(.*)", line)
            if m: last[m.group(1)] = m.group(2)
    out = {}
    for tag, metric in (("RATIOS", "ops_per_sec"), ("CPU", "cpu_us_per_op")):
        for k, v in re.findall(r"(\S+?)=(\S+)", last.get(tag, "")):
            v = number(v)
            if v is None: continue
            server, workload = ("garnet", k[len("garnet_"):]) if k.startswith("garnet_") else ("cachecluster", k)
            peer = "memcached" if workload.startswith("mc_") else "redis"
            w = out.setdefault(metric, {}).setdefault(workload, {})
            w[server] = v
            w[peer] = 1.0
    return out


def pick_peer(servers, declared):
    if declared and declared in servers: return declared
    for p in ("redis", "memcached"):
        if p in servers: return p
    others = [s for s in servers if s != "cachecluster"]
    return others[0] if others else None


def collect(records, logs):
    """-> {metric: {workload: {server: (value, relative or None)}}}, workloads in order of appearance."""
    out = {}
    grouped, peers = {}, {}
    for r in records:
        for metric, *_ in PANELS:
            v = number(r.get(metric))
            if v is None: continue
            grouped.setdefault(metric, {}).setdefault(str(r["workload"]), {}).setdefault(str(r["server"]), []).append(v)
        if r.get("peer"): peers[str(r["workload"])] = str(r["peer"])
    for metric, workloads in grouped.items():
        for workload, servers in workloads.items():
            med = {s: statistics.median(v) for s, v in servers.items()}
            peer = pick_peer(med, peers.get(workload))
            base = med.get(peer) if peer else None
            out.setdefault(metric, {})[workload] = {s: (v, v / base if base else None) for s, v in med.items()}
    for log in logs:
        for metric, workloads in log.items():
            for workload, servers in workloads.items():
                out.setdefault(metric, {}).setdefault(workload, {}).update({s: (v, v) for s, v in servers.items()})
    return out


def server_sort(servers):
    known = [s for s in SERVER_ORDER if s in servers]
    return known + sorted(s for s in servers if s not in SERVER_ORDER)


def nice_step(span):
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if span / step <= 8: return step
    return 10 ** len(str(int(span)))


def fmt_num(v):
    if v >= 1000: return f"{v:,.0f}"
    if v >= 100: return f"{v:.0f}"
    return f"{v:.2f}".rstrip("0").rstrip(".") if v < 10 else f"{v:.1f}"


class Svg:
    def __init__(self, width):
        self.width, self.parts, self.y = width, [], 0

    def text(self, x, y, s, size=12, anchor="start", weight="normal", fill="#222", extra=""):
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
                          f'fill="{fill}"{extra}>{escape(s)}</text>')

    def rect(self, x, y, w, h, fill, extra=""):
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}"{extra}/>')

    def bar(self, x, y, w, h, fill, tooltip):
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}">'
                          f'<title>{escape(tooltip)}</title></rect>')

    def line(self, x1, y1, x2, y2, stroke="#ccc", width=1, extra=""):
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" stroke-width="{width}"{extra}/>')

    def render(self):
        h = self.y + 10
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{h:.0f}" viewBox="0 0 {self.width} {h:.0f}" '
                f'font-family="{FONT}">\n<rect x="0" y="0" width="{self.width}" height="{h:.0f}" fill="#ffffff"/>\n'
                + "\n".join(self.parts) + "\n</svg>\n")


def draw(data, title, subtitle):
    W, RIGHT, BAR, GAP, GROUP_GAP = 900, 150, 14, 3, 12
    longest = max((len(w) for workloads in data.values() for w in workloads), default=10)
    LEFT = min(360, max(120, 28 + int(7 * longest)))   # room for the workload labels (~7 px a character at 12 px)
    plot_w = W - LEFT - RIGHT
    svg = Svg(W)
    svg.text(20, 28, title, size=16, weight="bold")
    svg.y = 34
    if subtitle:
        svg.text(20, 50, subtitle, size=12, fill="#555"); svg.y = 56
    servers = server_sort({s for workloads in data.values() for w in workloads.values() for s in w})
    palette = iter(EXTRA_COLORS)
    colors = {s: COLORS.get(s) or next(palette, "#777") for s in servers}
    # legend
    x, y = 20, svg.y + 18
    for s in servers:
        svg.rect(x, y - 10, 12, 12, colors[s])
        svg.text(x + 17, y, s, size=12)
        x += 30 + 7.5 * len(s)
    svg.y = y + 14

    for metric, ptitle, relative, better in PANELS:
        workloads = data.get(metric)
        if not workloads: continue
        rows = {}
        for workload, values in workloads.items():
            bars = [(s, v, rel) for s, (v, rel) in ((s, values[s]) for s in server_sort(values))
                    if (rel if relative else v) is not None]
            if relative and len(bars) < 2: continue   # nothing to compare with
            if bars: rows[workload] = bars
        if not rows: continue
        shown = [rel if relative else v for bars in rows.values() for _, v, rel in bars]
        top = max(shown + ([1.0] if relative else [0]))
        step = nice_step(top * 1.1)
        x_max = step * (int(top * 1.1 / step) + 1)
        sx = lambda v: LEFT + plot_w * v / x_max   # noqa: E731

        y0 = svg.y + 30
        svg.text(20, y0, ptitle, size=14, weight="bold")
        svg.text(W - 20, y0, better, size=12, anchor="end", fill="#555")
        top_y = y0 + (28 if relative else 14)
        height = sum(len(b) * (BAR + GAP) - GAP + GROUP_GAP for b in rows.values()) + GROUP_GAP
        bottom_y = top_y + height
        # grid and axis
        t = 0.0
        while t <= x_max + 1e-9:
            svg.line(sx(t), top_y, sx(t), bottom_y, stroke="#e3e3e3")
            svg.text(sx(t), bottom_y + 15, fmt_num(t) + ("×" if relative else ""), size=11, anchor="middle", fill="#555")
            t += step
        svg.line(LEFT, top_y, LEFT, bottom_y, stroke="#888")
        svg.line(LEFT, bottom_y, LEFT + plot_w, bottom_y, stroke="#888")
        svg.text(LEFT + plot_w / 2, bottom_y + 32, "relative to the peer (target / peer)" if relative else "bytes per key",
                 size=12, anchor="middle", fill="#333")
        # bars
        y = top_y + GROUP_GAP
        for workload, bars in rows.items():
            gh = len(bars) * (BAR + GAP) - GAP
            svg.text(LEFT - 8, y + gh / 2 + 4, workload, size=12, anchor="end")
            for s, v, rel in bars:
                shown_v = rel if relative else v
                svg.bar(LEFT, y, sx(shown_v) - LEFT, BAR, colors[s], f"{workload} {s}: {v:g}")
                if relative: label = f"{shown_v:.2f}×"
                elif rel is None: label = f"{fmt_num(v)} B"
                else: label = f"{fmt_num(v)} B" + (" (peer)" if abs(rel - 1) < 1e-9 else f" ({rel:.2f}× the peer)")
                svg.text(sx(shown_v) + 4, y + BAR - 3, label, size=11, fill="#222")
                y += BAR + GAP
            y += GROUP_GAP - GAP
        if relative:
            svg.line(sx(1.0), top_y - 4, sx(1.0), bottom_y, stroke="#333", width=1.2, extra=' stroke-dasharray="4,3"')
            svg.text(sx(1.0), top_y - 7, "peer = 1.0", size=11, anchor="middle", fill="#333")
        svg.y = bottom_y + 40
    return svg.render()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("results", nargs="*", help="JSON result files (lists of {workload, server, ...})")
    p.add_argument("--compare-log", action="append", default=[], metavar="LOG", help="saved compare-bench output (RATIOS / CPU lines)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "chart.svg"), help="default: bench/chart.svg")
    p.add_argument("--title", default="CacheCluster vs Redis, memcached and Garnet")
    p.add_argument("--subtitle", default="", help="e.g. the date, machine and settings of the run")
    a = p.parse_args()
    if not a.results and not a.compare_log: p.error("give JSON result files and/or --compare-log")
    records = [r for path in a.results for r in load_json(path)]
    logs = [parse_compare_log(path) for path in a.compare_log]
    data = collect(records, logs)
    if not any(data.values()): sys.exit("no usable results (need workload, server and a metric)")
    for metric, workloads in data.items():
        for workload, servers in workloads.items():
            print(f"{metric:14s} {workload:28s} " + " ".join(
                f"{s}={v:g}" + (f"({rel:.2f}x)" if rel is not None else "") for s, (v, rel) in servers.items()))
    with open(a.out, "w") as f:
        f.write(draw(data, a.title, a.subtitle))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
