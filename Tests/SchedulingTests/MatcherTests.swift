@testable import Scheduling
import XCTest

/// The matching on its own, against enumeration of every injective assignment, on many small random graphs: here a
/// first-free (greedy) choice fails often enough to be caught, which the calendar-level test alone rarely shows.
final class MatcherTests: XCTestCase {
    func testMatchingAgreesWithEnumeration() {
        var rng = SplitMix64(seed: 7)
        var matchable = 0, unmatchable = 0
        for round in 0..<20_000 {
            let k = rng.int(1...5)
            let n = rng.int(1...7)
            // One word per bitset; two words sometimes, with staff indices above 63, to cover word boundaries.
            let words = rng.chance(20) ? 2 : 1
            let staffIndices = words == 1 ? Array(0..<n) : (0..<n).map { 60 + $0 }
            var qualified = [UInt64](repeating: 0, count: k * words)
            var free = [UInt64](repeating: 0, count: words)
            var edges = [[Bool]](repeating: [Bool](repeating: false, count: n), count: k)
            for (j, s) in staffIndices.enumerated() {
                let isFree = rng.chance(80)
                if isFree { free[s / 64] |= 1 << UInt64(s % 64) }
                for r in 0..<k where rng.chance(45) {
                    qualified[r * words + s / 64] |= 1 << UInt64(s % 64)
                    edges[r][j] = isFree
                }
            }
            var used = [Bool](repeating: false, count: n)
            func assign(_ r: Int) -> Bool {
                if r == k { return true }
                for j in 0..<n where !used[j] && edges[r][j] {
                    used[j] = true
                    defer { used[j] = false }
                    if assign(r + 1) { return true }
                }
                return false
            }
            let expected = assign(0)
            var matcher = Matcher(requirements: k, words: words)
            let found = matcher.match(free: free, offset: 0, qualified: qualified)
            XCTAssertEqual(found, expected, "round \(round)")
            if found {
                matchable += 1
                XCTAssertEqual(Set(matcher.assigned).count, k, "round \(round)")
                for r in 0..<k {
                    guard let j = staffIndices.firstIndex(of: matcher.assigned[r]) else { XCTFail("round \(round)"); continue }
                    XCTAssertTrue(edges[r][j], "round \(round)")
                }
            } else {
                unmatchable += 1
            }
        }
        XCTAssertGreaterThan(matchable, 3000)
        XCTAssertGreaterThan(unmatchable, 3000)
    }
}
