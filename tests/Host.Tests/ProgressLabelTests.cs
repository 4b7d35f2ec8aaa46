using ShapeStudy.Actors;
using Spectre.Console;

namespace ShapeStudy.Host.Tests;

/// <summary>Terminal output: when it is rich (bars, colour), and the progress bars' stage labels.</summary>
public sealed class ProgressLabelTests
{
    private static string Plain(string markup) => Markup.Remove(markup);   // throws on malformed markup

    [Fact]
    public void ARunningStageShowsItsLatestLineEscapedAndCutToTheWidthAndAFinishedStageDoesNot()
    {
        const string line = "shape[1]/p00: t 12.50/35.00 ms, 418 steps";   // brackets would be markup if not escaped
        var running = new StageProgress("simulate", 24, 10, 2, 1, 2);
        const string counts = "simulate         13/24    (cached 2) (failed 1)";
        Assert.Equal(counts + " " + line, Plain(LiveProgress.StageLabel(running, line, 200)));
        var cut = Plain(LiveProgress.StageLabel(running, line, counts.Length + 21));
        Assert.Equal(counts + " shape[1]/p00: t 12.…", cut);                     // exactly the width
        Assert.Equal(counts, Plain(LiveProgress.StageLabel(running, line, counts.Length + 10)));   // too little room: left out
        Assert.Equal(counts.Replace("13/24", "24/24"), Plain(LiveProgress.StageLabel(running with { Done = 21, Running = 0 }, line, 200)));
    }

    [Theory]
    [InlineData(false, true, false, null, true)]      // an interactive terminal
    [InlineData(false, true, false, "", true)]        // NO_COLOR set but empty: ignored (no-color.org)
    [InlineData(false, true, false, "1", false)]      // NO_COLOR=1
    [InlineData(false, true, true, null, false)]      // output redirected (a log file, a pipe, CI)
    [InlineData(true, true, false, null, false)]      // --plain
    [InlineData(false, false, false, null, false)]    // writing somewhere other than the console
    public void OutputIsRichOnlyOnAnInteractiveConsoleWithoutNoColorOrPlain(bool plain, bool toConsole, bool redirected, string? noColor, bool rich) =>
        Assert.Equal(rich, Terminal.Rich(plain, toConsole, redirected, noColor));
}
