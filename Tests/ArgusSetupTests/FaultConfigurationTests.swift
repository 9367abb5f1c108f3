import ArgusCore
import ArgusSetup
import Testing

/// The config's `faults` and `verdicts` sections.
@Suite struct FaultConfigurationTests {
    @Test func theConfigSectionIsReadWithItsPath() throws {
        #expect(throws: Configuration.Error.self) { try Configuration.parse(#"{"faults": {"faults": [{"kind": "nope"}]}}"#) }
        do {
            _ = try Configuration.parse(#"{"faults": {"faults": [{"kind": "nope"}]}}"#, source: "/etc/argus.json")
        } catch {
            #expect(error.description.contains("faults.faults[0].kind"), "\(error)")
        }
        let config = try Configuration.parse(
            #"{"faults": {"servers": ["time"], "scripts": ["chaos.lua"], "faults": [{"kind": "timeout"}]}}"#,
            source: "/home/u/.argus/config.json")
        #expect(config.faults?.servers == ["time"])
        #expect(config.faults?.scripts.first?.path == "/home/u/.argus/chaos.lua")
        #expect(config.faults?.applies(toServer: "time") == true && config.faults?.applies(toServer: "git") == false)
    }

    @Test func theVerdictsSectionIsReadWithItsPath() throws {
        let config = try Configuration.parse(#"{"verdicts": {"loop_calls": 4, "levels": {"went_on": "failure"}}}"#)
        #expect(config.verdicts.loopCalls == 4 && config.verdicts.level(of: .wentOn) == .failure)
        do {
            _ = try Configuration.parse(#"{"verdicts": {"loop_call": 4}}"#)
            Issue.record("a misspelt threshold was accepted")
        } catch {
            #expect(error.description.contains("verdicts.loop_call: unknown field"), "\(error)")
        }
    }
}
