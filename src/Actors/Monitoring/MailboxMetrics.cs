using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace ShapeStudy.Actors.Monitoring;

/// <summary>Message counters of every actor of one type in this process.</summary>
public sealed class ActorTypeCounters
{
    internal long EnqueuedCount, DequeuedCount, MailboxCount;

    /// <summary>Messages put into these actors' mailboxes since the process started.</summary>
    public long Enqueued => Interlocked.Read(ref EnqueuedCount);
    /// <summary>Messages taken out (processed, or drained to dead letters when an actor stopped).</summary>
    public long Dequeued => Interlocked.Read(ref DequeuedCount);
    /// <summary>Live mailboxes (actors) of this type.</summary>
    public long Mailboxes => Interlocked.Read(ref MailboxCount);
    /// <summary>Messages waiting in these actors' mailboxes now (summed over the actors).</summary>
    public long Depth => Math.Max(0, Enqueued - Dequeued);
}

/// <summary>One actor type's counters at one instant.</summary>
public sealed record ActorTypeSample(string ActorType, long Mailboxes, long Depth, long Enqueued, long Dequeued);

/// <summary>
/// Mailbox depth and message counts per actor type for the whole process (our own instrumentation: every actor on the
/// default mailbox of a node configured by <c>cluster/shapestudy.hocon</c> uses <see cref="InstrumentedMailbox"/>).
/// </summary>
public static class MailboxMetrics
{
    private static readonly ConcurrentDictionary<string, ActorTypeCounters> Counters = new();

    /// <summary>The counters of <paramref name="actorType"/> (created on first use).</summary>
    public static ActorTypeCounters For(string actorType) => Counters.GetOrAdd(actorType, _ => new ActorTypeCounters());

    /// <summary>Every actor type seen so far, ordered by name.</summary>
    public static IReadOnlyList<ActorTypeSample> Sample() => Counters
        .Select(kv => new ActorTypeSample(kv.Key, kv.Value.Mailboxes, kv.Value.Depth, kv.Value.Enqueued, kv.Value.Dequeued))
        .OrderBy(s => s.ActorType, StringComparer.Ordinal).ToList();

    /// <summary>A readable actor type name: the class name, with generic arguments and without the namespace.</summary>
    public static string NameOf(Type type)
    {
        if (!type.IsGenericType) return type.Name;
        var name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return (tick < 0 ? name : name[..tick]) + "<" + string.Join(",", type.GetGenericArguments().Select(NameOf)) + ">";
    }
}

/// <summary>
/// An unbounded mailbox that counts the messages of its actor's type (configured as <c>akka.actor.default-mailbox</c>
/// in <c>cluster/shapestudy.hocon</c>). Akka creates it by reflection with (settings, config).
/// </summary>
public sealed class InstrumentedMailbox : MailboxType, IProducesMessageQueue<InstrumentedMessageQueue>
{
    public InstrumentedMailbox(Settings settings, Config config) : base(settings, config) { }

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new InstrumentedMessageQueue(owner);
}

/// <summary>
/// A concurrent FIFO queue that adds its enqueues and dequeues to the counters of its owner's actor type. The type is
/// resolved at the first message (the owner's cell is complete by then).
/// </summary>
public sealed class InstrumentedMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private readonly ConcurrentQueue<Envelope> _queue = new();
    private readonly IActorRef? _owner;
    private ActorTypeCounters? _counters;
    private int _cleaned;

    public InstrumentedMessageQueue(IActorRef? owner) => _owner = owner;

    private ActorTypeCounters Counters
    {
        get
        {
            if (_counters is { } c) return c;
            var type = _owner is ActorRefWithCell { Underlying: { } cell } && cell.Props?.Type is { } t ? MailboxMetrics.NameOf(t) : "unknown";
            var counters = MailboxMetrics.For(type);
            if (Interlocked.CompareExchange(ref _counters, counters, null) is null) Interlocked.Increment(ref counters.MailboxCount);
            return _counters;
        }
    }

    public bool HasMessages => !_queue.IsEmpty;

    public int Count => _queue.Count;

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        _queue.Enqueue(envelope);
        Interlocked.Increment(ref Counters.EnqueuedCount);
    }

    public bool TryDequeue(out Envelope envelope)
    {
        if (!_queue.TryDequeue(out envelope)) return false;
        Interlocked.Increment(ref Counters.DequeuedCount);
        return true;
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
        if (_counters is { } c && Interlocked.Exchange(ref _cleaned, 1) == 0) Interlocked.Decrement(ref c.MailboxCount);
    }
}
