"""The meta search: verified bests in the right formats, meta moves between formats, checkpoints, the CLI."""

import json

import numpy as np
import pytest

from linalg_lab.cli import main as cli_main
from linalg_lab.flipgraph import meta_search
from linalg_lab.flipgraph.formats import canonical, format_moves, known_target, meta_graph, parse_formats
from linalg_lab.flipgraph.pool import SchemePool
from linalg_lab.schemes import load_scheme, naive_scheme, strassen_scheme
from linalg_lab.schemes.known_ranks import known_rank


SMALL = [(2, 2, 2), (2, 2, 3), (2, 3, 3), (3, 3, 3)]


def test_parse_formats():
    fmts = parse_formats("2..5")
    assert len(fmts) == 20 and all(a <= b <= c for a, b, c in fmts) and len(set(fmts)) == 20
    assert parse_formats("2..3") == SMALL
    assert parse_formats("3x2x2, 2x2x3,2x3x2,3x3x3") == [(2, 2, 3), (3, 3, 3)]
    assert parse_formats([(3, 2, 2), "2x2x2"]) == [(2, 2, 3), (2, 2, 2)]


@pytest.mark.parametrize("ring", ["ZT", "F2"])
def test_meta_search_small_formats(ring):
    res = meta_search("2..3", ring, time_limit=5, workers=2, rng=1, progress=False)
    assert list(res.best) == SMALL
    for n, s in res.best.items():
        assert s.code == "gg" and tuple(s.n) == n and s.ring.value == ring and s.verify()
        if ring == "ZT":
            assert all(np.isin(np.asarray(a), [-1, 0, 1]).all() for a in s.factors)
    assert res.best[(2, 2, 2)].rank == 7
    assert [row[0] for row in res.table()] == ["2x2x2", "2x2x3", "2x3x3", "3x3x3"]
    assert all(row[2] == known_rank("gg", n, ring) for row, n in zip(res.table(), SMALL))
    assert res.flips > 0 and res.seconds > 0


def test_walkers_change_formats_with_meta_moves():
    res = meta_search("2..3", "ZT", time_limit=3, workers=2, rng=2, meta_probability=1.0, progress=False)
    assert sum(res.moves.values()) > 0
    assert max(len(v) for v in res.visited) > 1
    assert all(s.verify() and tuple(s.n) == n for n, s in res.best.items())


def test_every_meta_move_gives_its_format_and_rank_rule():
    fmts = parse_formats("2x2x2,2x2x3,2x2x4,2x3x3,4x4x4")
    pool = SchemePool(1)
    start = {f: canonical(naive_scheme("gg", f, "ZT")) for f in fmts}
    start[(2, 2, 2)] = strassen_scheme("ZT")
    for s in start.values():
        pool.offer(s, verified=True)
    key = lambda f: ("gg", f, start[f].ring)      # noqa: E731
    rng = np.random.default_rng(0)
    moves = format_moves(fmts)
    assert all(moves[k] for k in ("project", "extend", "product", "merge"))
    for kind, cands in moves.items():
        for m in cands:
            s = m.apply(pool, key, rng)
            assert tuple(s.n) == m.result and s.verify() and np.abs(np.asarray(s.u)).max() <= 1
            ranks = [start[f].rank for f, _ in m.sources]
            if kind == "project":
                assert s.rank <= ranks[0]
            elif kind == "extend":
                f = list(m.sources[0][0])
                f.pop(m.axis)
                assert s.rank == ranks[0] + f[0] * f[1]
            elif kind == "product":
                assert s.rank == ranks[0] * ranks[1]
            else:
                assert s.rank == ranks[0] + ranks[1]
    prod = [m for m in moves["product"] if m.result == (4, 4, 4)]
    assert prod and prod[0].apply(pool, key, rng).rank == 49           # Strassen x Strassen


def test_the_lowest_projection_drops_the_slice_that_leaves_the_fewest_terms():
    from pathlib import Path

    from linalg_lab.schemes.meta_moves import project

    s = canonical(load_scheme(Path(__file__).parents[2] / "schemes" / "gg" / "gg-5x5x5-r93-ZT.json"))
    pool = SchemePool(1)
    pool.offer(s, verified=True)
    key = lambda f: ("gg", f, s.ring)      # noqa: E731
    lowest = min(project(s, a, i).rank for a in range(3) for i in range(5))
    moves = [m for m in format_moves([(4, 5, 5), (5, 5, 5)])["project"] if m.result == (4, 5, 5)]
    rng = np.random.default_rng(0)
    best = [m.apply(pool, key, rng, lowest=True) for m in moves]
    randomly = [m.apply(pool, key, rng).rank for m in moves for _ in range(5)]
    assert all(b.verify() and tuple(b.n) == (4, 5, 5) for b in best)
    assert min(b.rank for b in best) == lowest <= min(randomly) and max(randomly) > lowest


def test_symmetric_walks_lift_square_formats_to_zt():
    # 4x4x4 alone: no product move inside the targets, so 49 comes from a symmetric F2 walk lifted to Z_T
    # (no descents: with two workers the one stint slot would be theirs for minutes whenever they take it first)
    res = meta_search("4x4x4", "ZT", time_limit=60, workers=2, rng=1, meta_probability=1.0, descents=False,
                      progress=False)
    s = res.best[(4, 4, 4)]
    assert res.stopped == "known" and s.rank == 49 and s.ring.value == "ZT" and s.verify()
    assert res.moves["symmetric"] >= 1 and res.lifted >= 1
    assert all(abs(int(x)) <= 1 for m in (s.u, s.v, s.w) for x in np.asarray(m).ravel())
    a = np.random.default_rng(0).integers(-50, 51, (4, 4))
    b = np.random.default_rng(1).integers(-50, 51, (4, 4))
    assert np.array_equal(s.multiply(a, b), a @ b)
    off = meta_search("4x4x4", "ZT", time_limit=1, workers=2, rng=1, meta_probability=1.0, f2_walks=False,
                      progress=False)
    assert off.moves["symmetric"] == 0 and off.lifted == 0


def test_lift_walks_descend_over_f2_and_offer_only_zt_schemes():
    res = meta_search("3x4x4", "ZT", time_limit=3, workers=2, rng=5, meta_probability=1.0, descents=False,
                      progress=False)
    assert res.moves["lift"] >= 1 and res.moves["symmetric"] == 0      # no square format among the targets
    s = res.best[(3, 4, 4)]
    assert s.ring.value == "ZT" and s.verify() and s.rank < 48
    assert all(abs(int(x)) <= 1 for m in (s.u, s.v, s.w) for x in np.asarray(m).ravel())
    f2 = meta_search("3x4x4", "F2", time_limit=1, workers=2, rng=5, meta_probability=1.0, progress=False)
    assert f2.moves["lift"] == 0                  # over F2 a lift walk would be a plain walk


def test_descents_walk_the_ring_from_the_naive_scheme():
    res = meta_search("3x4x4", "ZT", time_limit=3, workers=2, rng=5, meta_probability=1.0, f2_walks=False,
                      progress=False)
    assert res.moves["descent"] >= 1 and res.moves["lift"] == 0 and res.lifted == 0
    s = res.best[(3, 4, 4)]
    assert s.ring.value == "ZT" and s.verify() and s.rank < 48
    off = meta_search("3x4x4", "ZT", time_limit=1, workers=2, rng=5, meta_probability=1.0, f2_walks=False,
                      descents=False, progress=False)
    assert off.moves["descent"] == 0


def test_stays_walk_one_format_from_its_best():
    from linalg_lab.flipgraph import search
    from linalg_lab.flipgraph.executor import StepReport
    from linalg_lab.flipgraph.meta_coordinator import MetaCoordinator
    from linalg_lab.flipgraph.settings import SearchSettings
    from linalg_lab.flipgraph.walker import Walker

    f = (2, 3, 3)
    naive = naive_scheme("gg", f, "ZT")
    better = search("gg", f, "ZT", target_rank=16, rng=0, workers=1).best
    pool = SchemePool(1)
    pool.offer(naive, verified=True)
    pool.offer(better, verified=True)
    settings = SearchSettings.resolve("pool", "ZT")
    coord = MetaCoordinator([f], "ZT", pool, settings, [np.random.default_rng(0)], meta_probability=1.0,
                            time_limit=60, stays=True)
    assert coord.stint_formats == {"symmetric": [], "lift": [], "descent": [], "stay": [f]}
    walker = Walker(naive, np.random.default_rng(1), headroom=8)

    def report(total, best_rank):
        return StepReport(flips=1, total_flips=total, plus_transitions=0, reductions=0, rank=best_rank,
                          best_rank=best_rank, walker=walker)

    coord._enter_stint(0, "stay", f, report(10, 18))    # a stay on 2x3x3 starts from its best
    req = coord.first(0)
    assert coord.stint[0] == ("stay", f) and req.load.rank == 16 and req.walker_type is Walker
    assert req.stop_below == 16 == req.report_below
    # stalled past the pool mode's path limit: a new start from the format's best, still in the stay
    req = coord.receive(0, report(10 + settings.path_limit + 1, 17))
    assert coord.stint[0] == ("stay", f) and req.load.rank == 16
    # another walker lowers the format's best: with follow = 1 a stay behind it, not stalled, starts
    # again from the new best at once
    ahead = SchemePool(1)
    ahead.offer(search("gg", f, "ZT", target_rank=17, rng=0, workers=1).best, verified=True)
    follow = MetaCoordinator([f], "ZT", ahead, SearchSettings.resolve("pool", "ZT", follow=1.0),
                             [np.random.default_rng(0)], meta_probability=1.0, time_limit=60, stays=True)
    follow._enter_stint(0, "stay", f, report(10, 18))
    assert follow.first(0).load.rank == 17
    ahead.offer(better, verified=True)
    req = follow.receive(0, report(20, 17))
    assert follow.stint[0] == ("stay", f) and req.load is not None and req.load.rank == 16
    off = MetaCoordinator([f], "ZT", pool, settings, [np.random.default_rng(0)], meta_probability=1.0,
                          time_limit=60)
    assert off.stint_formats["stay"] == []
    res = meta_search("3x4x4", "ZT", time_limit=2, workers=2, rng=5, meta_probability=1.0, f2_walks=False,
                      descents=False, stays=True, progress=False)
    assert res.moves["stay"] >= 1 and res.moves["descent"] == res.moves["lift"] == 0
    assert res.best[(3, 4, 4)].verify() and res.best[(3, 4, 4)].rank < 48


def test_meta_graph_holds_every_format_move():
    import networkx as nx
    fmts = parse_formats("2..4")
    g = meta_graph("2..4", "ZT")
    assert sorted(g.nodes) == sorted(fmts)
    assert all(g.nodes[f]["known"] == known_target(f, "ZT") for f in fmts)
    moves = format_moves(fmts)
    expected = sorted((src, m.result, kind) for kind, ms in moves.items() for m in ms
                      for src in {f for f, _ in m.sources})
    assert sorted(g.edges(data="kind")) == expected
    # project and extend are inverse edges; 2x2x2 seeds every format by extending
    assert all(g.has_edge(m.result, m.sources[0][0]) for m in moves["project"])
    assert nx.descendants(g, (2, 2, 2)) == set(fmts) - {(2, 2, 2)}
    assert meta_graph("2..3").nodes[(2, 2, 2)]["known"] is None


def test_checkpoint_resumes(tmp_path):
    ck = tmp_path / "meta.json"
    first = meta_search("2..4", "ZT", time_limit=2, workers=2, rng=3, checkpoint=ck, progress=False)
    data = json.loads(ck.read_text())
    assert data["seconds_used"] == pytest.approx(first.seconds_total) and first.seconds_total == first.seconds
    ranks = {n: s.rank for n, s in first.best.items()}
    second = meta_search("2..4", "ZT", time_limit=4, workers=2, rng=4, checkpoint=ck, progress=False)
    # the resumed pool starts from the checkpoint: every improvement beats the checkpointed rank
    assert all(r < ranks[f] for _, f, r in second.history)
    assert all(second.best[n].rank <= ranks[n] for n in ranks)
    assert second.seconds_total == pytest.approx(first.seconds_total + second.seconds)
    assert json.loads(ck.read_text())["seconds_used"] == pytest.approx(second.seconds_total)
    if second.stopped == "time":
        assert second.seconds_total == pytest.approx(4, abs=0.5)
    with pytest.raises(ValueError, match="time_limit"):
        meta_search("2..4", "ZT", time_limit=second.seconds_total, workers=1, checkpoint=ck, progress=False)


def test_cli_writes_files(tmp_path, capsys):
    out = tmp_path / "out"
    rc = cli_main(["meta", "--ring", "ZT", "--formats", "2x2x2,3x2x2", "--time-limit", "3", "--out", str(out),
                   "--workers", "2", "--seed", "0", "--quiet"])
    assert rc == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [row[0] for row in last["table"]] == ["2x2x2", "2x2x3"] and last["formats"] == 2
    files = sorted(out.glob("*.json"))
    schemes = [load_scheme(p) for p in files]           # load_scheme verifies
    assert schemes and all(tuple(s.n) in [(2, 2, 2), (2, 2, 3)] for s in schemes)
    for label, ours, _ in last["table"]:                 # each format's best is written
        assert (out / f"gg-{label}-r{ours}-ZT.json").exists()


def test_cli_bad_arguments(tmp_path, capsys):
    rc = cli_main(["meta", "--formats", "2x2", "--time-limit", "1", "--out", str(tmp_path)])
    assert rc == 2 and "formats" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(formats="2x2"), ValueError, "formats"),
    (dict(formats="2..x"), ValueError, "formats"),
    (dict(formats=""), ValueError, "formats"),
    (dict(formats=3), TypeError, "formats"),
    (dict(formats="0x2x2"), ValueError, "formats"),
    (dict(ring="Q"), ValueError, "ring"),
    (dict(time_limit=0), ValueError, "time_limit"),
    (dict(time_limit="1"), TypeError, "time_limit"),
    (dict(workers=0), ValueError, "workers"),
    (dict(meta_probability=1.5), ValueError, "meta_probability"),
    (dict(chunk=0), ValueError, "chunk"),
    (dict(f2_walks=1), TypeError, "f2_walks"),
    (dict(descents="yes"), TypeError, "descents"),
    (dict(stays=None), TypeError, "stays"),
])
def test_bad_arguments_name_them(kwargs, exc, name):
    args = dict(formats="2..2", ring="ZT", time_limit=1)
    args.update(kwargs)
    with pytest.raises(exc, match=f"^{name}"):
        meta_search(args.pop("formats"), args.pop("ring"), progress=False, **args)


def test_a_new_best_spreads_to_other_formats():
    # 4x4x4 rank 49 is Strassen x Strassen: once 2x2x2 reaches 7, the product move carries it over
    res = meta_search("2x2x2,4x4x4", "ZT", time_limit=10, workers=1, rng=5, meta_probability=0.0, progress=False)
    s = res.best[(4, 4, 4)]
    assert res.best[(2, 2, 2)].rank == 7 and s.rank == 49 and s.verify() and res.stopped == "known"
    assert any(f == (4, 4, 4) and r == 49 for _, f, r in res.history)


def test_start_seeds_the_pool_from_schemes_files_folders_and_checkpoints(tmp_path):
    from linalg_lab.schemes import save_scheme
    from linalg_lab.schemes.transforms import permute

    # a Z scheme with entries in {-1, 0, 1} is a Z_T start; an ordering other than the sorted one is sorted
    strassen_z = strassen_scheme("Z")
    res = meta_search("2x2x2,4x4x4", "ZT", time_limit=5, workers=1, rng=0, start=strassen_z, progress=False)
    assert res.best[(2, 2, 2)].rank == 7 and res.best[(4, 4, 4)].rank == 49 and res.stopped == "known"
    assert res.history == [] or all(f == (4, 4, 4) for _, f, _ in res.history)

    folder = tmp_path / "bests"
    save_scheme(permute(naive_scheme("gg", (2, 2, 3), "ZT"), (2, 0, 1)), folder)     # 3x2x2: sorted to 2x2x3
    save_scheme(strassen_scheme("ZT"), folder)
    save_scheme(naive_scheme("gg", (5, 5, 6), "ZT"), folder)                          # not a target: skipped
    ck = tmp_path / "ck.json"
    meta_search("2x2x2", "ZT", time_limit=1, workers=1, rng=0, checkpoint=ck, start=folder, progress=False)
    res = meta_search("2x2x2,2x2x3", "ZT", time_limit=1, workers=1, rng=1, start=[ck, folder], progress=False)
    assert res.best[(2, 2, 2)].rank == 7
    assert all(tuple(s.n) == n and s.verify() for n, s in res.best.items())


@pytest.mark.parametrize("start, exc, match", [
    ("no/such/folder", ValueError, "start: .*does not exist"),
    (3, TypeError, "start"),
    (strassen_scheme("F3"), ValueError, "start: scheme is over F3"),
])
def test_bad_start_names_it(start, exc, match):
    with pytest.raises(exc, match=match):
        meta_search("2x2x2", "ZT", time_limit=1, workers=1, start=start, progress=False)


def test_cli_start(tmp_path, capsys):
    from linalg_lab.schemes import save_scheme

    save_scheme(strassen_scheme("ZT"), tmp_path / "in")
    rc = cli_main(["meta", "--formats", "2x2x2,2x2x4", "--time-limit", "3", "--out", str(tmp_path / "out"),
                   "--workers", "1", "--seed", "0", "--quiet", "--start", str(tmp_path / "in")])
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 0 and last["table"][0] == ["2x2x2", 7, 7] and last["table"][1][1] == 14    # merge of two 7s
