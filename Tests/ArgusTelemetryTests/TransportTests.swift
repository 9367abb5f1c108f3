import Testing
@testable import ArgusTelemetry

@Suite struct TransportTests {
    @Test func endpointsAreShownWithoutCredentials() {
        #expect(
            OTLPTransport.displayURL("https://user:secret@otlp.example.com/v1/traces?api_key=k") == "https://otlp.example.com/v1/traces")
        #expect(OTLPTransport.scrub("bad key k-12345 here", headers: ["x-api-key: k-12345"]) == "bad key [REDACTED] here")
    }
}
