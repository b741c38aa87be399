import Queue
import XCTest

final class WaitEstimatorTests: XCTestCase {
    private func estimate(ahead: Int, _ samples: [Double], desks: Int = 1) -> WaitEstimate {
        WaitEstimator.estimate(ahead: ahead, recentServiceSeconds: samples, activeDesks: desks)
    }

    func testNoHistoryIsUnknown() {
        XCTAssertEqual(estimate(ahead: 3, []), .unknown)
        XCTAssertEqual(estimate(ahead: 3, [600]), .unknown)
        XCTAssertEqual(estimate(ahead: 3, [600, 600]), .unknown)
        XCTAssertEqual(estimate(ahead: 3, [600, 600], desks: 5), .unknown)
        XCTAssertNil(WaitEstimate.unknown.minutes)
    }

    func testThreeServicesAreEnoughHistory() {
        XCTAssertEqual(estimate(ahead: 3, [600, 600, 600]), .minutes(30))
        XCTAssertEqual(WaitEstimate.minutes(30).minutes, 30)
    }

    func testNonFiniteDurationsAreNotHistory() {
        XCTAssertEqual(estimate(ahead: 1, [600, .nan, .infinity, 600, -.infinity]), .unknown)
        XCTAssertEqual(estimate(ahead: 1, [600, .nan, 600, 600]), .minutes(10))
    }

    func testRoundsUpToWholeMinutes() {
        XCTAssertEqual(estimate(ahead: 1, [601, 601, 601]), .minutes(11))
        XCTAssertEqual(estimate(ahead: 2, [450, 450, 450]), .minutes(15))
        XCTAssertEqual(estimate(ahead: 1, [630.4, 630.4, 630.4]), .minutes(11))
    }

    func testNobodyAheadIsZeroWithOrWithoutHistory() {
        XCTAssertEqual(estimate(ahead: 0, [], desks: 1), .minutes(0))
        XCTAssertEqual(estimate(ahead: 0, [600, 600, 600], desks: 2), .minutes(0))
        XCTAssertEqual(estimate(ahead: 0, [], desks: 0), .minutes(0))
        XCTAssertEqual(estimate(ahead: -2, [], desks: 1), .minutes(0))
    }

    func testLongOutlierIsTrimmed() {
        // A plain mean would say (4 × 600 + 14 400) / 5 = 3 360 s, i.e. 56 minutes.
        XCTAssertEqual(estimate(ahead: 1, [600, 14_400, 600, 600, 600]), .minutes(10))
    }

    func testShortOutlierIsTrimmed() {
        // A plain mean of the clamped values would say (30 + 4 × 600) / 5 = 486 s, i.e. 9 minutes.
        XCTAssertEqual(estimate(ahead: 1, [600, 600, 2, 600, 600]), .minutes(10))
    }

    func testFewSamplesUseTheMedian() {
        XCTAssertEqual(WaitEstimator.serviceDuration(recentServiceSeconds: [300, 6_000, 600])?.seconds, 600)
        XCTAssertEqual(WaitEstimator.serviceDuration(recentServiceSeconds: [300, 6_000, 600, 900])?.seconds, 750)
    }

    func testTrimsAFifthFromEachEnd() {
        // Ten samples: the two shortest and two longest go, the mean of the middle six remains.
        let samples: [Double] = [60, 70, 300, 400, 500, 600, 700, 800, 3_000, 9_000]
        XCTAssertEqual(WaitEstimator.serviceDuration(recentServiceSeconds: samples)?.seconds, 550)
    }

    func testDurationsAreClampedBeforeAveraging() {
        XCTAssertEqual(estimate(ahead: 4, [5, 5, 5]), .minutes(2))                    // 30 s each, not 5 s
        XCTAssertEqual(estimate(ahead: 1, [-100, 0, 1]), .minutes(1))                 // 30 s each
        XCTAssertEqual(estimate(ahead: 1, [100_000, 100_000, 100_000]), .minutes(240)) // 4 h each
    }

    func testOnlyTheTwentyMostRecentCount() {
        let recent = Array(repeating: 600.0, count: 20)
        let older = Array(repeating: 6_000.0, count: 20)
        XCTAssertEqual(estimate(ahead: 1, recent + older), .minutes(10))
        XCTAssertEqual(estimate(ahead: 1, older + recent), .minutes(100))
        XCTAssertEqual(WaitEstimator.serviceDuration(recentServiceSeconds: recent + older)?.sampleCount, 20)
    }

    func testWorkIsSharedByActiveDesks() {
        XCTAssertEqual(estimate(ahead: 10, [600, 600, 600], desks: 4), .minutes(25))
        XCTAssertEqual(estimate(ahead: 9, [600, 600, 600], desks: 3), .minutes(30))
    }

    func testManyDesksStillRoundUpToAMinute() {
        // Half a minute of work ahead is not "no wait": the visitor is not next.
        XCTAssertEqual(estimate(ahead: 1, [600, 600, 600], desks: 20), .minutes(1))
    }

    func testNoActiveDeskCountsAsOne() {
        XCTAssertEqual(estimate(ahead: 2, [600, 600, 600], desks: 0), .minutes(20))
        XCTAssertEqual(estimate(ahead: 2, [600, 600, 600], desks: -1), .minutes(20))
    }

    func testServiceDurationReportsItsBasis() {
        XCTAssertNil(WaitEstimator.serviceDuration(recentServiceSeconds: [600, 600]))
        XCTAssertEqual(WaitEstimator.serviceDuration(recentServiceSeconds: [600, .nan, 700, 800]),
                       ServiceDuration(seconds: 700, sampleCount: 3))
    }

    func testPrecomputedDurationGivesTheSameEstimates() {
        let samples: [Double] = [420, 380, 900, 300, 610, 45, 500]
        let duration = WaitEstimator.serviceDuration(recentServiceSeconds: samples)
        for ahead in 0...12 {
            for desks in 0...4 {
                XCTAssertEqual(WaitEstimator.estimate(ahead: ahead, serviceDuration: duration, activeDesks: desks),
                               estimate(ahead: ahead, samples, desks: desks), "ahead \(ahead), desks \(desks)")
            }
        }
        XCTAssertEqual(WaitEstimator.estimate(ahead: 1, serviceDuration: nil, activeDesks: 1), .unknown)
    }
}
