/// Where an appointment is in its life. The raw values are the API's and the database's spelling
/// (`appointment.status`; a test ties the table's CHECK to `allCases`).
public enum AppointmentStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Reserved for a short while (a citizen completing a form); blocks its staff and room until `held_until`.
    case held
    /// Booked: the staff and room are reserved.
    case booked
    /// The visitor arrived (kiosk or desk check-in).
    case checkedIn
    /// The appointment took place.
    case done
    /// The visitor did not come.
    case noShow
    /// Cancelled by the citizen or staff, or a hold that expired. Frees staff and room.
    case cancelled

    /// Whether the appointment's staff and room are reserved: the statuses the exclusion constraints of
    /// `appointment_reservation` guard (migration 0008 writes the same list; a test ties them).
    public var reservesResources: Bool {
        switch self {
        case .held, .booked, .checkedIn: true
        case .done, .noShow, .cancelled: false
        }
    }
}

/// Something done to an appointment. The raw values are the API spelling (`POST /appointments/{id}/cancel`).
public enum AppointmentAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// A hold becomes a booking.
    case confirm
    /// Move to another time (or other staff or room): one transaction, never cancel-and-rebook.
    case reschedule
    /// The citizen or staff call it off.
    case cancel
    /// A hold whose time ran out is released (by the next booking that needs its resources).
    case expire
    /// The visitor arrived.
    case checkIn
    /// The appointment took place.
    case finish
    /// The visitor did not come.
    case noShow
}

/// An action the appointment's current status does not allow; the API answers 409 with `message`.
public enum AppointmentTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    case illegal(action: AppointmentAction, from: AppointmentStatus)

    /// A sentence for the person who tried, e.g. "An appointment that was cancelled cannot be rescheduled."
    public var message: String {
        switch self {
        case let .illegal(action, status):
            "An appointment that \(status.statePhrase) cannot be \(action.pastParticiple)."
        }
    }

    public var description: String { message }
}

/// The life cycle of an appointment as one table, so that the check in Swift and the guarded update in SQL
/// (`UPDATE … WHERE status = ANY(sources)`, sources and target passed from here) cannot drift apart.
///
/// ```
/// confirm     held                   → booked
/// reschedule  held, booked           → (unchanged)
/// cancel      held, booked           → cancelled
/// expire      held                   → cancelled
/// checkIn     booked                 → checkedIn
/// finish      checkedIn              → done
/// noShow      booked, checkedIn      → noShow
/// ```
public enum AppointmentStateMachine {
    /// Source status → target status for `action`: the whole table.
    public static func transitions(for action: AppointmentAction) -> [AppointmentStatus: AppointmentStatus] {
        switch action {
        case .confirm: [.held: .booked]
        // A held slot can be moved while the form is still open; it stays a hold with the same expiry.
        case .reschedule: [.held: .held, .booked: .booked]
        // Checked in means the visitor is in the building: the desk finishes or marks it, nobody cancels it.
        case .cancel: [.held: .cancelled, .booked: .cancelled]
        case .expire: [.held: .cancelled]
        case .checkIn: [.booked: .checkedIn]
        case .finish: [.checkedIn: .done]
        // Checked in and then not there when called (the desk's no-show on the appointment's ticket).
        case .noShow: [.booked: .noShow, .checkedIn: .noShow]
        }
    }

    /// The statuses from which `action` is legal.
    public static func sources(for action: AppointmentAction) -> Set<AppointmentStatus> {
        Set(transitions(for: action).keys)
    }

    /// The status after performing `action` on an appointment in `status`.
    public static func apply(_ action: AppointmentAction, to status: AppointmentStatus)
        throws(AppointmentTransitionError) -> AppointmentStatus
    {
        guard let target = transitions(for: action)[status] else { throw .illegal(action: action, from: status) }
        return target
    }

    /// Whether `action` is legal for an appointment in `status`.
    public static func allows(_ action: AppointmentAction, from status: AppointmentStatus) -> Bool {
        transitions(for: action)[status] != nil
    }
}

extension AppointmentStatus {
    /// Completes "An appointment that …", for error messages.
    fileprivate var statePhrase: String {
        switch self {
        case .held: "is held"
        case .booked: "is booked"
        case .checkedIn: "is checked in"
        case .done: "is done"
        case .noShow: "was a no-show"
        case .cancelled: "was cancelled"
        }
    }
}

extension AppointmentAction {
    /// Completes "… cannot be …", for error messages.
    fileprivate var pastParticiple: String {
        switch self {
        case .confirm: "confirmed"
        case .reschedule: "rescheduled"
        case .cancel: "cancelled"
        case .expire: "expired"
        case .checkIn: "checked in"
        case .finish: "finished"
        case .noShow: "marked as a no-show"
        }
    }
}
