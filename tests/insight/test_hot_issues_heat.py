"""Heat, trend and clustering of hot issues: pure functions, hand-computed cases."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from jiceng.insight import hot_issues as hot


class TestHeat:
    def test_one_resident_today_in_one_community_is_one(self):
        assert hot.heat(residents=1, support=0, days_since_last=0, communities=1) == 1.0

    def test_hand_computed_case(self):
        # mass = 4 + 2·ln(1 + 6) = 4 + 3.8918 = 7.8918; one half-life old → × 0.5;
        # 3 communities → 1 + 0.25·2 = 1.5; heat = 7.8918 × 0.5 × 1.5 = 5.9189
        value = hot.heat(residents=4, support=6, days_since_last=14, communities=3)
        assert value == pytest.approx((4 + 2 * math.log(7)) * 0.5 * 1.5, abs=1e-4)
        assert value == pytest.approx(5.9189, abs=1e-4)

    def test_two_half_lives_quarter_the_heat(self):
        fresh = hot.heat(residents=8, support=0, days_since_last=0, communities=1)
        old = hot.heat(residents=8, support=0, days_since_last=28, communities=1)
        assert (fresh, old) == (8.0, 2.0)

    def test_spread_is_capped_at_double(self):
        # 1 + 0.25·(9 − 1) = 3 would exceed the cap of 2
        assert hot.heat(residents=2, support=0, days_since_last=0, communities=9) == 4.0
        assert hot.heat(residents=2, support=0, days_since_last=0, communities=0) == 2.0

    def test_support_counts_less_than_residents(self):
        # 100 "me too" add 2·ln(101) = 9.23, less than 10 residents writing themselves
        supported = hot.heat(residents=1, support=100, days_since_last=0, communities=1)
        assert supported == pytest.approx(1 + 2 * math.log(101), abs=1e-4)
        assert supported < hot.heat(residents=11, support=0, days_since_last=0, communities=1)

    def test_future_last_case_counts_as_today(self):
        assert hot.heat(residents=3, support=0, days_since_last=-5, communities=1) == 3.0

    def test_custom_parameters(self):
        params = hot.HeatParams(support_weight=1.0, half_life_days=7, spread_step=0.5)
        # (2 + ln 2) × 0.5 × 1.5
        value = hot.heat(residents=2, support=1, days_since_last=7, communities=2, params=params)
        assert value == pytest.approx((2 + math.log(2)) * 0.75, abs=1e-4)

    def test_negative_counts_are_refused(self):
        with pytest.raises(ValueError):
            hot.heat(residents=-1, support=0, days_since_last=0, communities=1)


class TestTrend:
    def test_counts_per_bucket_and_rising(self):
        end = datetime(2026, 3, 29)
        times = [end - timedelta(days=d, hours=1) for d in (0, 0, 1, 2, 3, 20)]
        shape = hot.trend(times, end=end, buckets=4, width=timedelta(days=7))
        assert shape.counts == (0, 1, 0, 5)
        assert shape.direction == "rising"

    def test_directions(self):
        assert hot.direction([5, 4, 1, 0]) == "falling"
        assert hot.direction([2, 2, 2, 2]) == "steady"
        assert hot.direction([0, 1, 1, 1]) == "steady"  # +1 is not a trend


class TestClustering:
    TEXTS = [
        ("柳岸路垃圾站满溢没人清运", "柳岸路88号小区垃圾站已经三天没有清运，气味很大。"),
        ("柳岸路小区垃圾站三天没清运", "垃圾站满了，臭味很大，柳岸路小区居民希望尽快清运。"),
        ("小区垃圾站满溢气味大", "柳岸路的垃圾站堆满了垃圾，好几天没有清运。"),
        ("幼儿园学位不够孩子入学难", "桂香苑附近只有一所幼儿园，学位不够，孩子入学很难。"),
        ("桂香苑幼儿园学位紧张", "我家孩子明年入园，桂香苑幼儿园学位不够怎么办。"),
        ("夜间施工噪音扰民", "湖滨路工地晚上十二点还在施工，噪音很大，无法休息。"),
    ]

    def place_all(self, partitions=None):
        clusterer = hot.Clusterer()
        placed = []
        for i, (title, body) in enumerate(self.TEXTS):
            partition = partitions[i] if partitions else "street-a"
            placed.append(
                clusterer.place(partition=partition, counts=hot.terms(title, body), title=title)
            )
        return clusterer, [p.issue.id for p in placed]

    def test_near_identical_texts_join_and_unrelated_ones_stay_apart(self):
        clusterer, ids = self.place_all()
        assert ids[0] == ids[1] == ids[2]
        assert ids[3] == ids[4]
        assert len({ids[0], ids[3], ids[5]}) == 3
        rubbish = clusterer.issues[ids[0]]
        assert rubbish.size == 3
        assert "垃圾站" in rubbish.key_terms
        assert rubbish.title in {t for t, _ in self.TEXTS[:3]}

    def test_partitions_never_mix(self):
        _, ids = self.place_all(partitions=["a", "b", "a", "a", "a", "a"])
        assert ids[0] == ids[2]
        assert ids[1] != ids[0]

    def test_candidate_lookup_does_not_scan_other_issues(self):
        clusterer = hot.Clusterer()
        for n in range(200):
            clusterer.place(partition="p", counts={f"词{n}a": 2, f"词{n}b": 1}, title=str(n))
        vec = hot.vector(hot.terms("夜间施工噪音扰民", "工地晚上施工噪音很大"), clusterer.df)
        assert clusterer.candidates("p", vec) == set()
        assert len(clusterer.issues) == 200

    def test_issue_state_is_bounded(self):
        clusterer = hot.Clusterer(threshold=0.0)
        for n in range(100):
            clusterer.place(partition="p", counts={"共同": 3, f"独有{n}": 1}, title=str(n))
        (issue,) = clusterer.issues.values()
        assert issue.size == 100
        assert len(issue.centroid) <= hot.CENTROID_TERMS
        assert len(issue.key_terms) <= hot.KEY_TERMS

    def test_terms_drop_generic_words_and_split_places(self):
        counts = hot.terms("反映A2区丽发新城搅拌站问题", "")
        assert "问题" not in counts and "反映" not in counts
        assert "搅拌站" in counts and "a2" in counts
        assert hot.place_of("A2区丽发新城搅拌站", "") == "A2区"
        assert hot.place_of("A市地铁", "在A7县星沙") == "A市"
        assert hot.place_of("地铁", "在A7县星沙") == "A7县"


class TestLocalDamping:
    """In a street where one estate's name is in many requests, the name alone does not group
    different problems of that estate; the same problem at different estates still groups."""

    def test_place_words_of_the_area_are_turned_down(self):
        local = hot.DocumentFrequency()
        df = hot.DocumentFrequency()
        background = [
            {"西溪": 1, "印象": 1, f"事{n}": 1} if n % 5 == 0 else {f"别的{n}": 1, "小区": 1}
            for n in range(100)
        ]
        for counts in background:
            local.add(counts)
            df.add(counts)
        counts = {"西溪": 3, "印象": 3, "道闸": 3, "坏了": 1}
        plain = hot.vector(counts, df)
        damped = hot.vector(counts, df, local=local)
        # 西溪 is in 20 % of the street's requests: × √(0.03 / 0.2) before scaling to length 1
        assert damped["西溪"] < plain["西溪"]
        assert damped["道闸"] > plain["道闸"]
        assert sum(w * w for w in damped.values()) == pytest.approx(1.0)

    def test_too_few_cases_in_the_area_damp_nothing(self):
        local = hot.DocumentFrequency()
        for _ in range(hot.LOCAL_MIN - 1):
            local.add({"西溪": 1})
        df = hot.DocumentFrequency({"西溪": 1, "道闸": 1}, 10)
        counts = {"西溪": 1, "道闸": 1}
        assert hot.vector(counts, df, local=local) == hot.vector(counts, df)

    def test_same_estate_different_problems_drift_apart_same_problem_stays(self):
        gate = hot.terms("西溪印象东门道闸坏了", "西溪印象东门的道闸好几天了，车辆随便进出。")
        cats = hot.terms("西溪印象流浪猫越来越多", "西溪印象的流浪猫越来越多，晚上叫得很凄惨。")
        cats2 = hot.terms("西溪印象流浪猫太多了", "西溪印象小区流浪猫越来越多，晚上叫得凄惨。")
        # 西溪印象 is in 2 % of the city's requests but 20 % of this street's
        df = hot.DocumentFrequency({"西溪": 20, "印象": 20}, 1000)
        street = hot.DocumentFrequency({"西溪": 20, "印象": 20}, 100)

        def similarity(a, b, local):
            issue = hot.Issue(id=1, partition="p")
            issue.add(hot.vector(a, df, local=local), "")
            return issue.similarity(hot.vector(b, df, local=local))

        assert similarity(gate, cats, street) < similarity(gate, cats, None) / 2
        assert similarity(cats, cats2, street) >= hot.DEFAULT_THRESHOLD
