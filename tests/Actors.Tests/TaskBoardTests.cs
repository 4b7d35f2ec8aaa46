using ShapeStudy.Actors.Pipeline;
using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Actors.Tests;

/// <summary>The coordinator's pure bookkeeping, without actors.</summary>
public sealed class TaskBoardTests
{
    private static PlannedTask T(string key, string stage = "simulate") => new(key, stage, "s-" + key, "{}");

    private static TaskBoard<string> Board(int maxRetries = 2) => new(maxRetries, TimeSpan.FromMilliseconds(100));

    [Fact]
    public void TasksAreLeasedOnlyToSlotsThatAsked()
    {
        var b = Board();
        b.AddReady(T("a"));
        b.AddReady(T("b"));
        Assert.Empty(b.Dispatch());
        b.WorkerIdle("w1");
        var leased = b.Dispatch();
        Assert.Equal(new[] { ("w1", "a") }, leased.Select(l => (l.Worker, l.Task.Key)));
        Assert.Equal((1, 1), (b.LeaseCount, b.ReadyCount));
        Assert.True(b.Complete("a", "w1"));                 // the slot asks again by completing
        Assert.Equal("b", b.Dispatch().Single().Task.Key);
    }

    [Fact]
    public void DuplicateAndLateResultsAreIgnored()
    {
        var b = Board();
        b.AddReady(T("a"));
        b.AddReady(T("a"));                                 // the same key twice is one task
        b.WorkerIdle("w1");
        b.Dispatch();
        Assert.True(b.Complete("a", "w1"));
        Assert.False(b.Complete("a", "w2"));
        Assert.IsType<FailureVerdict.Ignored>(b.Fail("a", "w2", 1, deterministic: false));
        Assert.Equal(1, b.Count(TaskBoard<string>.Outcome.Done));
        Assert.False(b.IsKnown("b"));
        Assert.True(b.IsKnown("a"));
    }

    [Fact]
    public void TransientFailuresBackOffExponentiallyThenGiveUp()
    {
        var b = Board(maxRetries: 2);
        b.AddReady(T("a"));
        var backoffs = new List<TimeSpan>();
        for (int attempt = 1; ; attempt++)
        {
            b.WorkerIdle("w");
            var task = b.Dispatch().Single().Task;
            var verdict = b.Fail(task.Key, "w", attempt, deterministic: false);
            if (verdict is FailureVerdict.Retry r) { backoffs.Add(r.Backoff); b.Requeue(r.Task); continue; }
            Assert.IsType<FailureVerdict.GiveUp>(verdict);
            Assert.Equal(3, attempt);
            break;
        }
        Assert.Equal(new[] { TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200) }, backoffs);
        Assert.Equal(1, b.Count(TaskBoard<string>.Outcome.Failed));
    }

    [Fact]
    public void DeterministicFailuresAreNotRetried()
    {
        var b = Board(maxRetries: 5);
        b.AddReady(T("a"));
        b.WorkerIdle("w");
        b.Dispatch();
        Assert.IsType<FailureVerdict.GiveUp>(b.Fail("a", "w", 1, deterministic: true));
    }

    [Fact]
    public void ALostWorkersLeasesAndRequestsAreRequeuedOrDropped()
    {
        var b = Board();
        b.AddReady(T("a"));
        b.AddReady(T("b"));
        b.WorkerIdle("dead");
        b.Dispatch();                                       // dead holds a
        b.WorkerIdle("dead");                               // and asked again: ignored, a slot holds one lease
        var verdicts = b.WorkerLost("dead", _ => 1);
        Assert.Equal(new[] { "a" }, verdicts.Select(v => Assert.IsType<FailureVerdict.Retry>(v).Task.Key));
        Assert.Equal(0, b.IdleCount);
        b.WorkerIdle("alive");
        b.WorkerIdle("alive2");
        Assert.Equal(new[] { "b", "a" }, b.Dispatch().Select(l => l.Task.Key));
    }

    [Fact]
    public void ProgressCountsEveryTaskOnceByStage()
    {
        var b = Board();
        var tasks = new[] { T("a", "segment"), T("b"), T("c"), T("d") };
        b.MarkCached("a");
        b.AddReady(tasks[1]);
        b.AddReady(tasks[2]);
        b.WorkerIdle("w");
        b.WorkerIdle("v");
        b.Dispatch();
        b.Complete("b", "w");
        var p = b.Progress(tasks);
        Assert.Equal(new StageProgress("segment", 1, 0, 1, 0, 0), p[0]);
        Assert.Equal(new StageProgress("simulate", 3, 1, 0, 0, 1), p[1]);
    }

    [Fact]
    public void ASlotThatAsksRepeatedlyIsQueuedOnceAndHoldsOneLease()
    {
        var b = Board();
        b.AddReady(T("a"));
        b.AddReady(T("b"));
        b.WorkerIdle("w");
        b.WorkerIdle("w");                                  // an idle slot repeats its request every few seconds
        Assert.Equal(1, b.IdleCount);
        Assert.Single(b.Dispatch());
        b.WorkerIdle("w");                                  // a repeat that crossed the lease
        Assert.Empty(b.Dispatch());
        Assert.Equal((1, 1), (b.LeaseCount, b.ReadyCount));
    }

    [Fact]
    public void TheFirstResultOfAKeyIsCommittedEvenFromASlotThatLostItsLease()
    {
        var b = Board();
        b.AddReady(T("a"));
        b.WorkerIdle("slow");
        b.Dispatch();
        b.WorkerLost("slow", _ => 1);                       // its node looked dead: the lease went back to the queue
        b.WorkerIdle("fresh");
        Assert.Equal("a", b.Dispatch().Single().Task.Key);
        Assert.True(b.Complete("a", "slow"));               // the first copy to finish wins (results are keyed)
        Assert.False(b.Complete("a", "fresh"));             // the second is a duplicate
        Assert.IsType<FailureVerdict.Ignored>(b.Fail("a", "fresh", 2, deterministic: false));
        Assert.Equal((0, 0, 1), (b.LeaseCount, b.ReadyCount, b.Count(TaskBoard<string>.Outcome.Done)));
    }

    [Fact]
    public void AResultForAQueuedTaskIsAcceptedAfterACoordinatorRestart()
    {
        var b = Board();                                    // a new coordinator incarnation re-planned "a" as ready
        b.AddReady(T("a"));
        Assert.True(b.Complete("a", "w"));                  // a slot still running the old incarnation's lease reports
        Assert.Equal(0, b.ReadyCount);
        b.WorkerIdle("w");
        Assert.Empty(b.Dispatch());
    }

    [Fact]
    public void ATaskWhoseAttemptsKeepLosingTheirWorkerIsQuarantinedAfterMaxRetries()
    {
        var b = Board(maxRetries: 2);
        b.AddReady(T("poison"));
        var attempts = 0;
        var verdicts = new List<FailureVerdict>();
        for (int i = 0; i < 3; i++)
        {
            b.WorkerIdle("w" + i);
            Assert.Equal("poison", b.Dispatch().Single().Task.Key);
            attempts++;                                     // the coordinator records "started" (attempt n) before leasing
            verdicts.AddRange(b.WorkerLost("w" + i, _ => attempts));
        }
        Assert.IsType<FailureVerdict.Retry>(verdicts[0]);
        Assert.IsType<FailureVerdict.Retry>(verdicts[1]);
        Assert.True(Assert.IsType<FailureVerdict.GiveUp>(verdicts[2]).Quarantined);
        Assert.Equal((0, 0, 1), (b.LeaseCount, b.ReadyCount, b.Count(TaskBoard<string>.Outcome.Failed)));
    }

    [Fact]
    public void ExpiredLeasesAreTakenBackAndTheSlotIsNotReusedWhileBusy()
    {
        var b = Board();
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        b.AddReady(T("a"));
        b.AddReady(T("b"));
        b.WorkerIdle("hung");
        b.Dispatch(t0);
        b.WorkerIdle("ok");
        b.Dispatch(t0.AddMinutes(9));
        var expired = b.ExpireLeases(t0.AddMinutes(10.5), TimeSpan.FromMinutes(10), _ => 1);
        Assert.Equal("a", Assert.IsType<FailureVerdict.Retry>(Assert.Single(expired)).Task.Key);
        Assert.Equal((1, 1), (b.LeaseCount, b.ReadyCount));
    }

    [Fact]
    public void AProgressReportFromTheLeaseHolderRenewsTheLeaseAndOneFromAnotherSlotDoesNot()
    {
        var b = Board();
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        b.AddReady(T("long"));
        b.AddReady(T("quiet"));
        b.WorkerIdle("w1");
        b.WorkerIdle("w2");
        b.Dispatch(t0);
        Assert.Equal("long", b.Heard("long", "w1", t0.AddMinutes(8))?.Key);
        Assert.Null(b.Heard("quiet", "w1", t0.AddMinutes(8)));      // w1 does not hold "quiet": no renewal
        var expired = b.ExpireLeases(t0.AddMinutes(10.5), TimeSpan.FromMinutes(10), _ => 1);
        Assert.Equal("quiet", Assert.IsType<FailureVerdict.Retry>(Assert.Single(expired)).Task.Key);
        Assert.Equal("long", Assert.IsType<FailureVerdict.Retry>(Assert.Single(b.ExpireLeases(t0.AddMinutes(18.5), TimeSpan.FromMinutes(10), _ => 1))).Task.Key);   // 10 min after its last report
    }
}
