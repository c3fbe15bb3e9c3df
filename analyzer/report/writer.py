"""``write_report``: the team report, agent scorecards and call pages from a results directory,
plus CSV exports of the agent table and coaching list for BI tools."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import shutil
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np

from ..results import load_results
from . import charts, svg
from .templates import environment

log = logging.getLogger("analyzer")
KPI_NAMES = {"sentiment_end": "End-of-call customer sentiment (0-100)", "csat": "CSAT (1-5)", "satisfied": "% satisfied (CSAT 4-5)", "aht_s": "AHT (seconds)"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def page_name(identifier: str) -> str:
    """A safe file name for an agent or call id (ids are untrusted input)."""
    text = str(identifier)
    safe = _SAFE.sub("_", text)[:80]
    if safe != text:
        safe += "-" + hashlib.sha1(text.encode()).hexdigest()[:8]
    return safe + ".html"  # only URL-safe characters: usable as a file name and a link


def _num(value, digits: int = 1, suffix: str = "") -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.{digits}f}{suffix}"


def _ci(entry: Optional[dict], digits: int = 1, suffix: str = "", pct_points: bool = False) -> str:
    if not entry or entry.get("value") is None:
        return "n/a"
    scale = 100 if pct_points else 1
    text = _num(entry["value"] * scale, digits, suffix)
    if entry.get("low") is not None and entry.get("high") is not None:
        text += f" ({_num(entry['low'] * scale, digits)} to {_num(entry['high'] * scale, digits)})"
    return text


def write_report(results_dir: Union[str, Path], out_dir: Optional[Union[str, Path]] = None, max_call_pages: Optional[int] = None) -> Path:
    """Write ``report/`` (default inside ``results_dir``); returns the path of ``index.html``."""
    results = load_results(results_dir)
    out = Path(out_dir) if out_dir is not None else Path(results_dir) / "report"
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "agents").mkdir(parents=True)
    (tmp / "calls").mkdir()
    env = environment()
    Report(results, env, tmp, max_call_pages).write()
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    log.info("report written to %s", out / "index.html")
    return out / "index.html"


class Report:
    def __init__(self, results, env, out: Path, max_call_pages: Optional[int]):
        self.r = results
        self.env = env
        self.out = out
        self.max_call_pages = max_call_pages
        self.headline = results.variability()
        self.calls = results.calls
        outcomes = results.call_outcomes
        if len(outcomes) and len(self.calls):
            extra = [c for c in ("quartile", "aht_s", "csat_predicted") if c in outcomes.columns]
            self.calls = self.calls.merge(outcomes[["call_id"] + extra], on="call_id", how="left")
        self.agents = results.agents

    # -- pages -------------------------------------------------------------------------------
    def write(self) -> None:
        self._index()
        for row in self._agent_rows():
            self._agent_page(row)
        self._call_pages()
        self._exports()

    def _render(self, template: str, path: Path, **context) -> None:
        path.write_text(self.env.get_template(template).render(**context), encoding="utf-8")

    def _summary(self) -> dict:
        h = self.headline
        batches = self.r.batches
        period = None
        if "started_at" in self.calls and self.calls["started_at"].notna().any():
            starts = self.calls["started_at"].dropna().astype(str).str[:10]
            period = f"calls from {starts.min()} to {starts.max()}"
        return {
            "n_calls": len(self.calls), "n_agents": self.calls["agent_id"].nunique() if len(self.calls) else 0,
            "n_ranked": h.get("n_ranked_agents", 0), "min_calls": h.get("min_calls", "?"),
            "n_batches": int(batches["batch_id"].nunique()) if len(batches) else 0, "period": period,
            "confidence": f"{100 * h.get('confidence', 0.95):.0f}%",
        }

    def _index(self) -> None:
        h = self.headline
        context = {"title": "Agent variability report", "subtitle": "team report", "root": "", "summary": self._summary(),
                   "headline": bool(h), "agents": self._agent_rows(), "no_headline_reason": "the batch has not been aggregated "
                   "(run `analyzer aggregate`), or there are too few calls."}
        if h:
            context.update(self._headline_context())
        self._render("index", self.out / "index.html", **context)

    def _headline_context(self) -> dict:
        h = self.headline
        spreads, icc, opp = h.get("quartile_spreads", {}), h.get("icc", {}), h.get("opportunity", {})
        rows, sentences = [], []
        for kpi in ("sentiment_end", "csat", "satisfied", "aht_s"):
            if kpi not in spreads:
                continue
            obs, cor, naive = spreads[kpi]["observed"], spreads[kpi]["noise_corrected"], spreads[kpi]["naive_self_ranked"]
            pp = kpi == "satisfied"
            digits = 2 if kpi == "csat" else (0 if kpi == "aht_s" else 1)
            unit = "%" if pp else ""
            rows.append({
                "name": KPI_NAMES[kpi],
                "team": _num(obs["team"]["value"] * (100 if pp else 1), digits, unit),
                "top": _num(obs["top"]["value"] * (100 if pp else 1), digits, unit),
                "bottom": _num(obs["bottom"]["value"] * (100 if pp else 1), digits, unit),
                "top_vs_average": _ci(obs["top_vs_average_pct"], 1, "%"),
                "top_vs_bottom": _ci(obs["top_vs_bottom_pct"], 1, "%"),
                "corrected": _ci(cor["top_vs_bottom_pct"], 1, "%"),
                "naive": _num(naive["top_vs_bottom_pct"], 1, "%"),
                "icc": _num(100 * (icc.get(kpi, {}).get("icc") or 0), 1, "%"),
            })
        if "sentiment_end" in spreads:
            s = spreads["sentiment_end"]["observed"]
            sentences.append(
                f"Customers of top-quartile agents end their calls at {_num(s['top']['value'])} on the 0-100 sentiment index, "
                f"{_ci(s['top_vs_average_pct'], 1, '%')} relative to the team average of {_num(s['team']['value'])}."
            )
        if "aht_s" in spreads:
            a = spreads["aht_s"]["observed"]
            sentences.append(f"Their calls take {_num(a['top']['value'], 0)} s on average against {_num(a['team']['value'], 0)} s for the team: "
                             f"{_ci(a['top_vs_average_pct'], 1, '%')}.")
        if "csat" in spreads:
            c = spreads["csat"]["observed"]
            sentences.append(f"Their CSAT averages {_num(c['top']['value'], 2)} against {_num(c['team']['value'], 2)} ({_ci(c['top_vs_average_pct'], 1, '%')}).")
        for kpi in ("aht_s", "sentiment_end", "csat"):
            if kpi in icc and icc[kpi].get("icc") is not None:
                share = 100 * icc[kpi]["icc"]
                verdict = "mostly noise: agents barely differ" if share < 3 else ("real but modest" if share < 15 else "substantial")
                sentences.append(f"{share:.1f}% of the call-to-call variation in {KPI_NAMES[kpi].split(' (')[0].lower()} is between agents ({verdict}).")
        opportunity = []
        if "aht_saved_s" in opp:
            text = (f"Bringing the bottom quartile to the team average would change the team's handle time by "
                    f"{_ci(opp.get('aht_team_change_pct'), 1, '%')} (the bottom quartile's own by {_ci(opp.get('aht_bottom_change_pct'), 1, '%')})")
            if "agent_hours_per_month" in opp:
                text += f", about {_ci(opp.get('agent_hours_per_month'), 0)} agent-hours a month at the observed volume"
            opportunity.append(text + ".")
        if "csat_bottom_gain" in opp:
            opportunity.append(f"Their CSAT would rise by {_ci(opp.get('csat_bottom_gain'), 2)} points ({_ci(opp.get('csat_bottom_change_pct'), 1, '%')}), "
                               f"the team's by {_ci(opp.get('csat_team_gain'), 2)}.")
        if "sentiment_end_bottom_gain" in opp:
            opportunity.append(f"Their customers would end calls {_ci(opp.get('sentiment_end_bottom_gain'), 1)} sentiment-index points higher.")
        opportunity.append("These use the noise-corrected agent estimates: raw bottom-quartile numbers overstate the gap, because part of "
                           "any bottom quartile is bad luck.")
        effects = h.get("behaviour_effects", {})
        behaviour_sentences, behaviour_rows = [], []
        sentiment_effects = effects.get("sentiment_end", {})
        head = sentiment_effects.get("positive_behaviour")
        if head:
            behaviour_sentences.append(
                f"Positive agent behaviour moves the customer sentiment index by {_num(head['effect'])} points "
                f"({_num(head['low'])} to {_num(head['high'])}): the adjusted difference between a call showing none and one showing all "
                f"of the {len(head['behaviours'])} positive behaviours."
            )
        csat_by = {r["behaviour"]: r for r in effects.get("csat", {}).get("behaviours", [])}
        for r in sorted(sentiment_effects.get("behaviours", []), key=lambda r: -r["effect"]):
            c = csat_by.get(r["behaviour"])
            behaviour_rows.append({"name": r["behaviour"].replace("_", " "), "polarity": r["polarity"], "sort": r["effect"],
                                   "sentiment": f"{r['effect']:+.1f} ({r['low']:+.1f} to {r['high']:+.1f})",
                                   "csat": f"{c['effect']:+.2f} ({c['low']:+.2f} to {c['high']:+.2f})" if c else "n/a", "n_with": r["n_with"]})
        sv = h.get("sentiment_vs_csat") or {}
        csat_sentences = []
        if sv:
            csat_sentences.append(f"On {sv['n_surveyed_calls']} surveyed calls, the end-of-call sentiment index correlates with the survey score at "
                                  f"r = {sv['pearson']:.2f} ({sv['pearson_low']:.2f} to {sv['pearson_high']:.2f}; Spearman {sv['spearman']:.2f}).")
        pred = h.get("csat_prediction") or {}
        if pred.get("cv_rmse") is not None:
            csat_sentences.append(f"A model of CSAT from call features predicts unsurveyed calls with a cross-validated error of "
                                  f"{pred['cv_rmse']:.2f} points (RMSE; always guessing the mean: {pred['baseline_rmse']:.2f}).")
        tu = h.get("time_use_by_quartile") or {}
        time_sentences = []
        if "team" in tu:
            t = tu["team"]
            time_sentences.append(f"Across the team, {t.get('productive', 0):.0f}% of handle time is productive conversation, "
                                  f"{t.get('distress', 0):.0f}% handling a distressed customer, {t.get('dead_air', 0):.0f}% dead air, "
                                  f"{t.get('hold', 0):.0f}% hold and {t.get('acw', 0):.0f}% after-call work.")
            if "q1_top" in tu and "q4_bottom" in tu:
                time_sentences.append(f"Top quartile: {tu['q1_top'].get('productive', 0):.0f}% productive; bottom quartile: {tu['q4_bottom'].get('productive', 0):.0f}%.")
        cards = []
        if "sentiment_end" in spreads:
            cards.append({"label": "Top quartile vs average: customer sentiment", "value": _num(spreads["sentiment_end"]["observed"]["top_vs_average_pct"]["value"], 1, "%"), "detail": "end-of-call sentiment index"})
        if "aht_s" in spreads:
            cards.append({"label": "Top quartile vs average: AHT", "value": _num(spreads["aht_s"]["observed"]["top_vs_average_pct"]["value"], 1, "%"), "detail": "handle time"})
        if "aht_team_change_pct" in opp:
            cards.append({"label": "Bottom quartile to average: team AHT", "value": _num(opp["aht_team_change_pct"]["value"], 1, "%"), "detail": "noise-corrected"})
        if "csat_bottom_change_pct" in opp:
            cards.append({"label": "Bottom quartile to average: their CSAT", "value": _num(opp["csat_bottom_change_pct"]["value"], 1, "%"), "detail": "noise-corrected"})
        if head:
            cards.append({"label": "Positive behaviour moves sentiment by", "value": _num(head["effect"], 0, " points"), "detail": "0-100 index"})
        return {"spread_rows": rows, "spread_sentences": sentences, "opportunity_sentences": opportunity, "behaviour_sentences": behaviour_sentences,
                "behaviour_rows": behaviour_rows, "csat_sentences": csat_sentences, "calibration": sv.get("calibration"), "time_sentences": time_sentences,
                "cards": cards, "charts": [c for c in self._team_charts() if c]}

    def _team_charts(self) -> List[Optional[str]]:
        h, agents = self.headline, self.agents
        icc = h.get("icc", {})
        out = []
        if len(agents):
            for kpi, lower in (("aht_s", True), ("csat", False), ("sentiment_end", False)):
                if f"{kpi}_raw" in agents and kpi in icc:
                    out.append(charts.funnel(agents.rename(columns={f"{kpi}_n": "calls" if kpi != "csat" else "surveys"}), f"{kpi}_raw",
                                             "calls" if kpi != "csat" else "surveys", icc[kpi]["team_mean"], icc[kpi]["within_agent_sd"] or 0,
                                             KPI_NAMES[kpi].split(" (")[0], "s" if kpi == "aht_s" else "", lower))
            csat_col = "csat" if "csat_shrunk" in agents and agents["csat_n"].sum() >= 30 else "sentiment_end"
            out.append(charts.aht_csat_scatter(agents, icc.get("aht_s", {}).get("team_mean", np.nan), icc.get(csat_col, {}).get("team_mean"), csat_col))
        out.append(charts.trajectories(self._trajectories_by_quartile(), "Customer sentiment through the call, by agent quartile"))
        labels, top, bottom = self._behaviour_rates_by_quartile()
        out.append(charts.behaviour_bars(labels, top, bottom, title="Behaviour rates: top vs bottom quartile"))
        out.append(charts.time_use_bars(h.get("time_use_by_quartile") or {}))
        out.append(charts.trend(self._trend(self.calls), {"aht": "AHT (s)", "csat": "CSAT", "sentiment": "end sentiment"}, "Trend across batches"))
        return out

    def _trajectories_by_quartile(self, agent: Optional[str] = None) -> Dict[str, List[float]]:
        calls = self.calls
        if "customer_sentiment_trajectory" not in calls or "quartile" not in calls:
            return {}
        def mean_curve(frame):
            values = [v for v in frame["customer_sentiment_trajectory"] if v is not None and len(v)]
            return list(50 * (np.mean(np.stack(values), axis=0) + 1)) if values else None
        series = {"top quartile": mean_curve(calls[calls.quartile == 1]), "team": mean_curve(calls[calls.quartile > 0])}
        if agent is not None:
            series["this agent"] = mean_curve(calls[calls.agent_id == agent])
        else:
            series["bottom quartile"] = mean_curve(calls[calls.quartile == 4])
        return series

    def _behaviour_columns(self) -> List[str]:
        return sorted(c[4:] for c in self.calls.columns if c.startswith("beh_") and not c.endswith("_n"))

    def _behaviour_rates_by_quartile(self):
        if "quartile" not in self.calls:
            return [], [], []
        labels = self._behaviour_columns()
        top = self.calls[self.calls.quartile == 1]
        bottom = self.calls[self.calls.quartile == 4]
        if top.empty or bottom.empty:
            return [], [], []
        return labels, [top[f"beh_{b}"].astype(float).mean() for b in labels], [bottom[f"beh_{b}"].astype(float).mean() for b in labels]

    def _trend(self, calls):
        import pandas as pd

        if "batch_id" not in calls or calls["batch_id"].nunique() < 2:
            return None
        frame = calls.assign(aht_value=calls.get("aht_s", calls.get("duration_s")), csat_value=pd.to_numeric(calls.get("csat"), errors="coerce"),
                             sentiment_value=calls.get("customer_index_end"))
        grouped = frame.groupby("batch_id").agg(aht=("aht_value", "mean"), csat=("csat_value", "mean"), sentiment=("sentiment_value", "mean"),
                                                date=("batch_date", "first")).reset_index().sort_values("batch_id")
        grouped["label"] = grouped["date"].astype(str) + " " + grouped["batch_id"].str[-6:]
        return grouped

    # -- agents ------------------------------------------------------------------------------
    def _agent_rows(self) -> List[dict]:
        rows = []
        agents = self.agents if len(self.agents) else None
        if agents is None:
            for agent_id, group in self.calls.groupby("agent_id"):
                rows.append({"agent_id": agent_id, "file": page_name(agent_id), "quartile": "-", "qclass": "", "qsort": 9, "rank": "-", "rsort": 10**9,
                             "n_calls": len(group), "aht": "n/a", "aht_sort": 0, "csat": "n/a", "csat_sort": 0, "surveys": 0, "satisfied": "n/a",
                             "sentiment": "n/a", "sent_sort": 0, "raw": None})
            return rows
        for a in agents.to_dict(orient="records"):
            q = int(a.get("quartile") or 0)
            rows.append({
                "agent_id": a["agent_id"], "file": page_name(a["agent_id"]), "quartile": q if q else "not ranked", "qclass": f"q{q}" if q in (1, 4) else "",
                "qsort": q if q else 9, "rank": a["rank"] if a.get("rank") else "-", "rsort": a["rank"] if a.get("rank") else 10**9, "n_calls": a["n_calls"],
                "aht": self._est(a, "aht_s", 0), "aht_sort": a.get("aht_s_shrunk", 0), "csat": self._est(a, "csat", 2), "csat_sort": a.get("csat_shrunk", 0),
                "surveys": int(a.get("csat_n", 0) or 0), "satisfied": self._est(a, "satisfied", 0, pct=True),
                "sentiment": self._est(a, "sentiment_end", 1), "sent_sort": a.get("sentiment_end_shrunk", 0), "raw": a,
            })
        return rows

    @staticmethod
    def _est(a: dict, kpi: str, digits: int, pct: bool = False) -> str:
        value = a.get(f"{kpi}_shrunk")
        if value is None or (isinstance(value, float) and not math.isfinite(value)) or not a.get(f"{kpi}_n"):
            return "n/a"
        scale = 100 if pct else 1
        return f"{_num(value * scale, digits)} [{_num(a[f'{kpi}_low'] * scale, digits)}, {_num(a[f'{kpi}_high'] * scale, digits)}]"

    def _agent_page(self, row: dict) -> None:
        agent_id = row["agent_id"]
        a = row["raw"] or {}
        calls = self.calls[self.calls.agent_id == agent_id]
        h = self.headline
        spreads = h.get("quartile_spreads", {})
        kpis = []
        for kpi in ("sentiment_end", "csat", "satisfied", "aht_s"):
            if not a or f"{kpi}_raw" not in a:
                continue
            pct = kpi == "satisfied"
            scale, digits = (100, 0) if pct else (1, 2 if kpi == "csat" else (0 if kpi == "aht_s" else 1))
            obs = spreads.get(kpi, {}).get("observed", {})
            kpis.append({
                "name": KPI_NAMES[kpi], "raw": _num((a.get(f"{kpi}_raw") or np.nan) * scale, digits),
                "shrunk": _num((a.get(f"{kpi}_shrunk") or np.nan) * scale, digits),
                "interval": f"{_num(a.get(f'{kpi}_low', np.nan) * scale, digits)} to {_num(a.get(f'{kpi}_high', np.nan) * scale, digits)}",
                "team": _num((obs.get("team", {}).get("value") or np.nan) * scale, digits),
                "top": _num((obs.get("top", {}).get("value") or np.nan) * scale, digits), "n": int(a.get(f"{kpi}_n", 0) or 0),
            })
        q = int(a.get("quartile") or 0) if a else 0
        ranked = int(self.agents.ranked.sum()) if len(self.agents) else 0
        if q:
            position = f"{agent_id} is in the {charts.QUARTILE_NAMES[q]} (rank {a['rank']} of {ranked} ranked agents) on {h.get('ranking_kpi', 'the composite')}, from {a['n_calls']} calls."
        else:
            position = (f"{agent_id} is not ranked: {row['n_calls']} calls (at least {h.get('min_calls', '?')} are needed). "
                        "The estimates below are shrunk toward the team accordingly.")
        coaching = self._coaching_for(agent_id)
        labels = self._behaviour_columns()
        agent_rates = [calls[f"beh_{b}"].astype(float).mean() for b in labels] if len(calls) and labels else []
        top_calls = self.calls[self.calls.quartile == 1] if "quartile" in self.calls else calls.iloc[0:0]
        top_rates = [top_calls[f"beh_{b}"].astype(float).mean() if len(top_calls) else np.nan for b in labels]
        chart_list = [
            charts.trajectories(self._trajectories_by_quartile(agent_id), f"Customer sentiment through {agent_id}'s calls"),
            charts.behaviour_bars(labels, agent_rates, top_rates, names=("this agent", "top quartile"), title="Behaviour rates vs the top quartile") if agent_rates else None,
            charts.trend(self._trend(calls), {"aht": "AHT (s)", "csat": "CSAT", "sentiment": "end sentiment"}, f"{agent_id} across batches"),
        ]
        call_rows = []
        for c in calls.sort_values("started_at" if "started_at" in calls else "call_id").to_dict(orient="records"):
            call_rows.append({"call_id": c["call_id"], "file": page_name(c["call_id"]), "started_at": c.get("started_at") or "", "queue": c.get("queue") or "",
                              "duration": _num(c.get("duration_s"), 0, " s"), "aht": _num(c.get("aht_s", c.get("duration_s")), 0),
                              "csat": _num(c.get("csat"), 0), "sentiment": f"{_num(c.get('customer_index_start'), 0)} → {_num(c.get('customer_index_end'), 0)}"})
        self._render("agent", self.out / "agents" / page_name(agent_id),
                     title=f"Scorecard {agent_id}", subtitle=f"agent {agent_id}", root="../", agent={"agent_id": agent_id}, position=position,
                     kpis=kpis, coaching=coaching, charts=[c for c in chart_list if c], calls=call_rows)

    def _coaching_for(self, agent_id: str) -> List[dict]:
        coaching = self.r.coaching
        if coaching is None or not len(coaching):
            return []
        out = []
        for c in coaching[coaching.agent_id == agent_id].sort_values("rank").to_dict(orient="records"):
            name = c["behaviour"].replace("_", " ")
            if c["polarity"] == "positive":
                sentence = (f"Shows {name} in {100 * c['agent_rate']:.0f}% of calls (estimated {100 * c['agent_rate_shrunk']:.0f}% allowing for "
                            f"sample size) against {100 * c['top_quartile_rate']:.0f}% for the top quartile. Calls with it end "
                            f"{c['effect']:+.1f} points higher on the sentiment index ({c['effect_low']:+.1f} to {c['effect_high']:+.1f}).")
            else:
                sentence = (f"{name.capitalize()} in {100 * c['agent_rate']:.0f}% of calls (estimated {100 * c['agent_rate_shrunk']:.0f}%) against "
                            f"{100 * c['top_quartile_rate']:.0f}% for the top quartile. Calls with it end {c['effect']:+.1f} points on the "
                            f"sentiment index ({c['effect_low']:+.1f} to {c['effect_high']:+.1f}).")
            if not c.get("effect_is_clear"):
                sentence += " The effect is not clearly different from zero yet."
            examples = [self._moment(m) for m in (c.get("examples") if c.get("examples") is not None else [])]
            top = c.get("top_example")
            out.append({"name": name, "polarity": c["polarity"], "sentence": sentence, "examples": examples, "top_example": self._moment(top) if top else None})
        return out

    def _moment(self, m: dict) -> dict:
        utts = self._utterance_index.get(m["call_id"], [])
        index = 0
        if utts:
            index = min(utts, key=lambda pair: abs(pair[1] - float(m["time_s"])))[0]
        return {"call_id": m["call_id"], "file": page_name(m["call_id"]), "index": index, "clock": svg.clock(float(m["time_s"])),
                "text": m.get("text", ""), "context": m.get("context", "")}

    @property
    def _utterance_index(self) -> Dict[str, list]:
        if not hasattr(self, "_utt_index"):
            u = self.r.utterances
            self._utt_index = {} if not len(u) else {k: list(zip(g.utterance_index, g.start_s)) for k, g in u.groupby("call_id")}
        return self._utt_index

    # -- calls -------------------------------------------------------------------------------
    def _call_pages(self) -> None:
        from ..dynamics import intersect, speech_spans
        from ..records import Utterance, Word

        utterances = {k: g.sort_values("utterance_index") for k, g in self.r.utterances.groupby("call_id")} if len(self.r.utterances) else {}
        behaviours = {k: g for k, g in self.r.behaviours.groupby("call_id")} if len(self.r.behaviours) else {}
        polarity = {}
        try:
            from ..behaviours.taxonomy import TIMELINE_BEHAVIOURS, load_taxonomy

            polarity = {b.id: b.polarity for b in load_taxonomy().behaviours}
            polarity.update({b: "negative" for b in TIMELINE_BEHAVIOURS})
        except Exception:  # noqa: BLE001 - polarity only colours badges
            pass
        calls = self.calls if self.max_call_pages is None else self.calls.head(self.max_call_pages)
        for c in calls.to_dict(orient="records"):
            u = utterances.get(c["call_id"])
            b = behaviours.get(c["call_id"])
            duration = float(c.get("duration_s") or 0) or (float(u.end_s.max()) if u is not None and len(u) else 1.0)
            rows, speech, points = [], [], []
            records = []
            tags: Dict[int, list] = {}
            if b is not None:
                for t in b.itertuples():
                    if t.utterance_index is not None and not (isinstance(t.utterance_index, float) and math.isnan(t.utterance_index)):
                        tags.setdefault(int(t.utterance_index), []).append({"name": t.behaviour_id.replace("_", " "), "polarity": polarity.get(t.behaviour_id, "positive")})
            if u is not None:
                for r in u.itertuples():
                    label = getattr(r, "sentiment_label", None)
                    rows.append({"index": int(r.utterance_index), "speaker": r.speaker, "clock": svg.clock(r.start_s), "text": r.text,
                                 "label": label if isinstance(label, str) else None, "behaviours": tags.get(int(r.utterance_index), [])})
                    speech.append((r.speaker, float(r.start_s), float(r.end_s)))
                    index = getattr(r, "sentiment_index", None)
                    if r.speaker == "customer" and index is not None and not (isinstance(index, float) and math.isnan(index)):
                        points.append(((r.start_s + r.end_s) / 2, float(index)))
                    words = tuple(Word(w["start_s"], w["end_s"], w["text"]) for w in (r.words if r.words is not None else []))
                    records.append(Utterance(r.speaker, float(r.start_s), float(r.end_s), str(r.text), words))
            overtalk = intersect(speech_spans(records, "agent"), speech_spans(records, "customer")) if records else []
            holds, dead = [], []
            if b is not None:
                for t in b[b.behaviour_id == "dead_air"].itertuples():
                    end = next((s for _, s, _ in sorted(speech, key=lambda x: x[1]) if s > t.time_s), t.time_s + 5)
                    dead.append((float(t.time_s), float(end)))
            gaps = self._gaps(speech, duration)
            holds = [g for g in gaps if g[1] - g[0] >= 30]
            trajectory = c.get("customer_sentiment_trajectory")
            trajectory = list(trajectory) if trajectory is not None and len(trajectory) else None
            cards = [{"label": "duration", "value": _num(c.get("duration_s"), 0, " s")}, {"label": "AHT", "value": _num(c.get("aht_s"), 0, " s")},
                     {"label": "CSAT (survey)", "value": _num(c.get("csat"), 0)}, {"label": "customer sentiment start → end",
                     "value": f"{_num(c.get('customer_index_start'), 0)} → {_num(c.get('customer_index_end'), 0)}"},
                     {"label": "hold / dead air / overtalk", "value": f"{_num(c.get('hold_s'), 0)} / {_num(c.get('dead_air_s'), 0)} / {_num(c.get('overtalk_s'), 1)} s"}]
            facts = " · ".join(x for x in (str(c.get("started_at") or ""), str(c.get("queue") or ""), f"source {c.get('source_kind', '')}") if x)
            self._render("call", self.out / "calls" / page_name(c["call_id"]), title=f"Call {c['call_id']}", subtitle=f"call {c['call_id']}",
                         root="../", call=c, agent_file=page_name(c["agent_id"]), facts=facts, cards=cards, utterances=rows,
                         timeline=svg.timeline(duration, speech, holds, dead, overtalk), sentiment=svg.sentiment_curve(duration, points, trajectory))

    @staticmethod
    def _gaps(speech, duration):
        spans = sorted((s, e) for _, s, e in speech)
        gaps, cursor = [], 0.0
        for s, e in spans:
            if s > cursor:
                gaps.append((cursor, s))
            cursor = max(cursor, e)
        if duration > cursor:
            gaps.append((cursor, duration))
        return gaps

    # -- exports -----------------------------------------------------------------------------
    def _exports(self) -> None:
        if len(self.agents):
            self.agents.to_csv(self.out / "agents.csv", index=False)
        else:
            self.calls.groupby("agent_id").size().rename("n_calls").reset_index().to_csv(self.out / "agents.csv", index=False)
        coaching = self.r.coaching
        if coaching is not None and len(coaching):
            flat = coaching.copy()
            flat["examples"] = [" | ".join(f"{m['call_id']}@{svg.clock(m['time_s'])}: {m['text']}" for m in (ex if ex is not None else [])) for ex in flat["examples"]]
            flat["top_example"] = [f"{t['agent_id']} {t['call_id']}@{svg.clock(t['time_s'])}: {t['text']}" if t else "" for t in flat["top_example"]]
            flat.to_csv(self.out / "coaching.csv", index=False)
        else:
            (self.out / "coaching.csv").write_text("agent_id,behaviour,priority\n")
