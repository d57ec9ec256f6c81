#!/usr/bin/python3
"""Charts of a `berth bench startup` run, drawn with matplotlib (Debian's
python3-matplotlib, hence /usr/bin/python3 rather than whatever python3 is
first on PATH).

    scripts/bench/startup-charts.py DIR

reads DIR/runs.csv and DIR/berth-timeline.csv (and DIR/chart-note.txt, a
line put under the titles, when present) and writes
  DIR/startup.svg       start-up time per system: spawn to the workload's
                        "running" line, and spawn to exit; box plots with
                        every run as a dot
  DIR/berth-phases.svg  each Berth run's boot timeline as one bar of
                        stacked phases (the stretch between consecutive
                        milestones of `berth run --timings`), grouped by
                        Berth system (berth, berth-vmlinux, berth-stats);
                        round 0, the kernel-log run, adds the guest
                        kernel's milestones ("kernel: ...")
`berth bench startup` runs this itself when a python3 with matplotlib is
there (apt-get install python3-matplotlib); inside scripts/kvm-sandbox there
is none, so run it afterwards on the folder the sandbox copied back.
"""
import csv
import os
import statistics
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)

# Stable SVG ids and no timestamp: the same data draws the same file.
matplotlib.rcParams["svg.hashsalt"] = "berth-bench"
SVG_METADATA = {"Date": None}
# The order of vmm/bench/system.cpp's all_systems(), as the tables list them.
SYSTEM_ORDER = ["berth", "berth-stats", "berth-vmlinux", "qemu-microvm", "qemu-pc", "runc", "crun",
                "docker"]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def note_of(folder):
    path = os.path.join(folder, "chart-note.txt")
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read().strip()


def startup_chart(folder, rows, note):
    ok = [r for r in rows if r["status"] == "ok"]
    systems = [s for s in SYSTEM_ORDER if any(r["system"] == s for r in rows)]
    systems += sorted({r["system"] for r in rows} - set(systems))
    metrics = [("wall_running_ms", 'spawn to "running"'), ("wall_exit_ms", "spawn to exit")]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    all_values = [float(r[m]) for r in ok for m, _ in metrics if r[m]]
    # Containers start in milliseconds and VMs in seconds: one linear axis
    # would flatten the containers into a line at zero.
    log_scale = bool(all_values) and min(all_values) > 0 and max(all_values) / min(all_values) > 20
    for ax, (metric, title) in zip(axes, metrics):
        data = [[float(r[metric]) for r in ok if r["system"] == s and r[metric]] for s in systems]
        positions = list(range(1, len(systems) + 1))
        shown = [(p, d) for p, d in zip(positions, data) if d]
        if shown:
            ax.boxplot([d for _, d in shown], positions=[p for p, _ in shown], widths=0.5,
                       showfliers=False, medianprops={"color": "black"})
            for p, d in shown:
                # Every run as a dot, spread a little sideways so that equal
                # values stay visible.
                xs = [p + (i - (len(d) - 1) / 2) * min(0.3 / max(len(d), 1), 0.06)
                      for i in range(len(d))]
                ax.plot(xs, d, "o", color="tab:blue", alpha=0.6, markersize=4)
        labels = []
        for s, d in zip(systems, data):
            failed = sum(1 for r in rows if r["system"] == s and r["status"] != "ok")
            label = f"{s}\nn={len(d)}"
            if failed:
                label += f", {failed} failed"
            labels.append(label)
        ax.set_xticks(positions)
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_title(title)
        if log_scale:
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("milliseconds" + (" (log scale)" if log_scale else ""))
    fig.suptitle("Start-up of the same workload, per system" + (f"\n{note}" if note else ""),
                 fontsize=11)
    fig.tight_layout()
    path = os.path.join(folder, "startup.svg")
    fig.savefig(path, metadata=SVG_METADATA)
    plt.close(fig)
    return path


def phases_chart(folder, timeline, note):
    # One bar per run: (system, round), systems in the order the bench listed them.
    by_run = {}
    for row in timeline:
        run = (row["system"], int(row["round"]))
        by_run.setdefault(run, []).append((int(row["us"]), row["name"]))
    # Berth first, then its variants, as the tables list them.
    system_order = sorted({row["system"] for row in timeline},
                          key=lambda s: (SYSTEM_ORDER.index(s) if s in SYSTEM_ORDER
                                         else len(SYSTEM_ORDER), s))
    fig, ax = plt.subplots(figsize=(11, 2.4 + 0.35 * max(len(by_run), 1)))
    if not by_run:
        ax.text(0.5, 0.5, "no Berth run with a timeline", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
    else:
        # One colour per milestone, in the order milestones are usually
        # reached (their median time), shared by every bar and the legend.
        times = {}
        for entries in by_run.values():
            for us, name in entries:
                times.setdefault(name, []).append(us)
        names = sorted(times, key=lambda n: statistics.median(times[n]))
        cmap = plt.get_cmap("tab20" if len(names) > 10 else "tab10")
        colour = {name: cmap(i % cmap.N) for i, name in enumerate(names)}
        drawn = set()
        runs = sorted(by_run, key=lambda run: (system_order.index(run[0]), run[1]))
        for y, run in enumerate(runs):
            start = 0
            for us, name in sorted(by_run[run]):
                width = (us - start) / 1000.0
                ax.barh(y, width, left=start / 1000.0, color=colour[name], edgecolor="white",
                        linewidth=0.5, label=None if name in drawn else f"until {name}")
                drawn.add(name)
                start = us
        ax.set_yticks(range(len(runs)))
        # Round 0 is the kernel-log run: the one with the guest kernel's phases.
        ax.set_yticklabels([f"{system} round {rnd}" if rnd else f"{system} (kernel log)"
                            for system, rnd in runs], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("milliseconds since Berth's process started")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    ax.set_title("Berth's boot, phase by phase (berth run --timings)" + (f"\n{note}" if note else ""),
                 fontsize=11)
    fig.tight_layout()
    path = os.path.join(folder, "berth-phases.svg")
    fig.savefig(path, metadata=SVG_METADATA)
    plt.close(fig)
    return path


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    folder = sys.argv[1]
    rows = read_csv(os.path.join(folder, "runs.csv"))
    timeline_path = os.path.join(folder, "berth-timeline.csv")
    timeline = read_csv(timeline_path) if os.path.exists(timeline_path) else []
    note = note_of(folder)
    for path in (startup_chart(folder, rows, note), phases_chart(folder, timeline, note)):
        print(f"startup-charts: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
