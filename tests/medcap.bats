#!/usr/bin/env bats
# The dispatcher: medcap NAME runs medcap-NAME.
load common

@test "medcap --help lists the stages" {
    run -0 medcap --help
    assert_output --partial "Usage: medcap NAME"
    assert_output --partial "csv-clean"
    assert_output --partial "score"
}

@test "medcap --version" {
    run -0 medcap --version
    assert_output --regexp '^medcap [0-9]+\.[0-9]+'
}

@test "medcap without a stage is a usage error" {
    run -2 medcap
}

@test "medcap with an unknown stage names it, exit 2" {
    run -2 --separate-stderr medcap no-such-stage
    [[ "$stderr" == *"'no-such-stage' is not a medcap stage"* ]]
}

@test "medcap NAME runs medcap-NAME from its own folder" {
    run -0 medcap frame-info --help
    assert_output --partial "Usage: medcap-frame-info"
}
