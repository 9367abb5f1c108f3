import Testing
@testable import ArgusCore

/// The markers are part of the stored format: the dashboard, exports and suite files read them.
@Suite struct RedactionMarkerTests {
    @Test func markersSpellTheStoredText() {
        #expect(RedactionMarker.redacted(label: nil).text == "[REDACTED]")
        #expect(RedactionMarker.redacted(label: "echo").text == "[REDACTED:echo]")
        #expect(RedactionMarker.dropped(script: "pii").text == "[DROPPED by script pii]")
        #expect(RedactionMarker.failed.text == "[REDACTION FAILED]")
        #expect(RedactionMarker.failed.json == "[REDACTION FAILED]")
    }

    @Test(arguments: [
        RedactionMarker.redacted(label: nil), .redacted(label: "jwt"), .dropped(script: "a script"), .failed,
    ])
    func markersAreReadBack(_ marker: RedactionMarker) {
        #expect(RedactionMarker(marker.text) == marker)
    }

    @Test func onlyWholeMarkersAreMarkers() {
        #expect(RedactionMarker("Bearer [REDACTED:bearer]") == nil)
        #expect(RedactionMarker("[REDACTED") == nil)
        #expect(RedactionMarker("[DROPPED by script x") == nil)
        #expect(RedactionMarker("redacted") == nil)
    }

    @Test func partlyRedactedTextHidesAValue() {
        #expect(RedactionMarker.containsRedaction("Bearer [REDACTED:bearer]"))
        #expect(!RedactionMarker.containsRedaction("[DROPPED by script x]"))
        #expect(RedactionMarker.hidesValue("[DROPPED by script x]"))
        #expect(RedactionMarker.hidesValue("postgres://u:[REDACTED:url-password]@db"))
        #expect(!RedactionMarker.hidesValue("[REDACTION FAILED]"))
        #expect(!RedactionMarker.hidesValue("plain"))
    }
}
