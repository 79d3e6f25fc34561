// The worker host comes later; until then the program only says what it is.
Console.WriteLine("""
    Experiments.Jobs: data movement for experiment analysis (ClickHouse client, schema migrations,
    pushdown queries).

    usage: Experiments.Jobs

    The worker host that runs analysis jobs is not part of this build yet.
    """);
return 0;
