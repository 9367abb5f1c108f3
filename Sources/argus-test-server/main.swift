import Foundation

// A stdio MCP server for demos and tests: `argus wrap -- argus-test-server`.
if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
    print(
        """
        argus-test-server: a stdio MCP server for demos and tests (both protocol eras).
        Tools: calculate, get_weather, slow_operation, random_failure, always_fail, echo,
               progress_task, client_roots, delete_file, confirm_action (2026-07-28: input_required rounds),
               notify_listeners, close_listeners (subscriptions/listen streams), emit, password_generate,
               launch_info. One resource, one prompt.
        Environment: ARGUS_TEST_SEED (random_failure), ARGUS_TEST_FAIL_AT_START (exit at once with this error),
        ARGUS_TEST_RECEIVED_LOG (append every line received to this file),
        ARGUS_TEST_CRASH_ON_TOOL (exit when this tool is called), ARGUS_TEST_NO_ANNOTATIONS (list tools without
        annotations, as most real servers do).
        """)
    exit(0)
}
signal(SIGPIPE, SIG_IGN)
TestServer().serve()
