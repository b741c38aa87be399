/// A visitor's expected wait, or an honest admission that there is nothing to base one on.
///
/// Deliberately not Codable: how "unknown" is shown (an absent field, a sentence on the display) is the API's choice.
public enum WaitEstimate: Sendable, Hashable {
    /// Whole minutes, rounded up.
    case minutes(Int)
    /// Too little history today to estimate without inventing a number.
    case unknown

    /// The minutes, or nil when unknown.
    public var minutes: Int? {
        if case let .minutes(minutes) = self { minutes } else { nil }
    }
}

/// How long one visit at the desk takes for a service, learned from its recently finished visits.
public struct ServiceDuration: Sendable, Hashable {
    /// The robust average duration of one visit, in whole seconds.
    public let seconds: Int
    /// How many recent visits it is based on (before trimming outliers), so callers can show or log the basis.
    public let sampleCount: Int

    public init(seconds: Int, sampleCount: Int) {
        self.seconds = seconds
        self.sampleCount = sampleCount
    }
}

/// Estimates how long a visitor will wait, from what the desks actually did today rather than from configuration.
///
/// The product promises to be honest when there is no history: with fewer than `minimumSamples` finished visits the
/// answer is `.unknown`, never a guess. The service's configured typical duration is not used as a fallback for that
/// reason; once there is enough history, the history is the better source.
///
/// Formula:
///
///     samples  = up to `maximumSamples` most recent finite durations, each clamped to
///                `shortestServiceSeconds` … `longestServiceSeconds`
///     trim     = max(1, samples.count / 5)  dropped from each end of the sorted samples
///     duration = mean of the remaining samples, rounded to whole seconds
///     wait     = ⌈ ahead × duration / max(activeDesks, 1) / 60 ⌉ minutes
///
/// With nobody ahead the wait is 0 minutes, history or not: the visitor is next, so no number needs inventing.
///
/// The 20 % trimmed mean shrugs off a visit that ran through lunch or a mis-click that finished a visit in two
/// seconds, yet uses more of the data than a median; with three or four samples it is exactly the median. Clamping
/// keeps even a single absurd sample within reason before trimming.
///
/// Known simplifications: the time left on visits already at a desk is not counted (on average it adds about half a
/// visit), and with no desk active the estimate assumes one desk will serve the queue, so it is then a lower bound;
/// callers that know no desk is open may want to say so.
public enum WaitEstimator {
    /// Below this many finished visits there is no real history: the estimate is `.unknown`.
    public static let minimumSamples = 3
    /// Only the most recent visits count, so the estimate follows the day (a slow morning, a quick afternoon).
    public static let maximumSamples = 20
    /// Shorter durations are counted as this: nobody is really helped in under half a minute.
    public static let shortestServiceSeconds: Double = 30
    /// Longer durations are counted as this: a visit left open for longer was forgotten, not served.
    public static let longestServiceSeconds: Double = 4 * 60 * 60

    /// The wait for a visitor with `ahead` visitors before them in the same service's queue.
    ///
    /// - Parameters:
    ///   - ahead: waiting visitors called before this one in the same service's queue; 0 means next.
    ///   - recentServiceSeconds: durations of recently finished visits of this service, newest first.
    ///   - activeDesks: desks currently serving this service; may be 0.
    public static func estimate(ahead: Int, recentServiceSeconds: [Double], activeDesks: Int) -> WaitEstimate {
        estimate(ahead: ahead, serviceDuration: serviceDuration(recentServiceSeconds: recentServiceSeconds),
                 activeDesks: activeDesks)
    }

    /// The wait from a duration computed once with `serviceDuration(recentServiceSeconds:)`, for estimating every
    /// ticket of a queue without recomputing the average for each.
    public static func estimate(ahead: Int, serviceDuration: ServiceDuration?, activeDesks: Int) -> WaitEstimate {
        // Counts come from the database and are never negative; should one be, treat it as nothing rather than trap.
        let ahead = max(0, ahead)
        if ahead == 0 { return .minutes(0) }
        guard let serviceDuration else { return .unknown }
        let secondsPerMinuteOfWait = max(activeDesks, 1) * 60
        let work = ahead * serviceDuration.seconds
        return .minutes((work + secondsPerMinuteOfWait - 1) / secondsPerMinuteOfWait)
    }

    /// The robust average duration of one visit, or nil when there are fewer than `minimumSamples` usable ones.
    ///
    /// Non-finite values (a broken clock, a division by zero upstream) are not durations and are ignored.
    public static func serviceDuration(recentServiceSeconds: [Double]) -> ServiceDuration? {
        let samples = recentServiceSeconds.lazy
            .filter { $0.isFinite }
            .prefix(maximumSamples)
            .map { min(max($0, shortestServiceSeconds), longestServiceSeconds) }
            .sorted()
        guard samples.count >= minimumSamples else { return nil }
        // At least one from each end, so a single outlier never counts; never so many that nothing is left.
        let trim = min(max(1, samples.count / 5), (samples.count - 1) / 2)
        let kept = samples[trim..<(samples.count - trim)]
        let mean = kept.reduce(0, +) / Double(kept.count)
        return ServiceDuration(seconds: Int(mean.rounded()), sampleCount: samples.count)
    }
}
