using System.Globalization;
using System.Text;
using ShapeStudy.Actors.Monitoring;

namespace ShapeStudy.Host.Dashboard;

/// <summary>
/// The <c>/metrics</c> page in the Prometheus text exposition format (version 0.0.4). Metric names and labels are
/// documented in docs/dashboard.md; cluster/grafana/shapestudy.json charts them.
/// </summary>
public static class PrometheusText
{
    /// <summary>Content type of the text exposition format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(StudyMonitor monitor)
    {
        var snapshot = monitor.Snapshot();
        var counters = monitor.Counters();
        var w = new Writer();

        w.Family("shapestudy_studies", "gauge", "Studies this process coordinates, by state (running, finished, failed).");
        foreach (var state in new[] { "running", "finished", "failed" })
            w.Sample("shapestudy_studies", counters.Count(c => c.State == state), ("state", state));

        w.Family("shapestudy_tasks", "gauge", "Tasks of a study by stage and status; status as in the tasks table (started, committed, failed, quarantined, not_run).");
        foreach (var c in counters)
            foreach (var ((stage, status), n) in c.Tasks.OrderBy(k => k.Key.Stage, StringComparer.Ordinal).ThenBy(k => k.Key.Status, StringComparer.Ordinal))
                w.Sample("shapestudy_tasks", n, ("study", c.StudyId), ("stage", stage), ("status", status));

        w.Family("shapestudy_task_events_total", "counter", "Task events by stage: started (an attempt), committed, cached (reused), retrying, requeued (worker lost), failed, quarantined.");
        foreach (var c in counters)
            foreach (var ((stage, ev), n) in c.Events.OrderBy(k => k.Key.Stage, StringComparer.Ordinal).ThenBy(k => k.Key.Event, StringComparer.Ordinal))
                w.Sample("shapestudy_task_events_total", n, ("study", c.StudyId), ("stage", stage), ("event", ev));

        w.Family("shapestudy_task_retries_total", "counter", "Attempts that will be retried: transient failures plus leases taken back from lost workers.");
        foreach (var c in counters)
            foreach (var stage in c.Events.Keys.Select(k => k.Stage).Distinct().OrderBy(s => s, StringComparer.Ordinal))
                w.Sample("shapestudy_task_retries_total", c.Events.GetValueOrDefault((stage, "retrying")) + c.Events.GetValueOrDefault((stage, "requeued")),
                    ("study", c.StudyId), ("stage", stage));

        w.Family("shapestudy_task_duration_seconds", "histogram", "Wall time of executed tasks from lease to commit (s).");
        foreach (var c in counters)
            foreach (var (stage, h) in c.Durations.Where(d => d.Value.Count > 0).OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                for (int i = 0; i < StudyMonitor.DurationBuckets.Length; i++)
                    w.Sample("shapestudy_task_duration_seconds_bucket", h.Cumulative[i], ("study", c.StudyId), ("stage", stage), ("le", Number(StudyMonitor.DurationBuckets[i])));
                w.Sample("shapestudy_task_duration_seconds_bucket", h.Cumulative[^1], ("study", c.StudyId), ("stage", stage), ("le", "+Inf"));
                w.Sample("shapestudy_task_duration_seconds_sum", h.Sum, ("study", c.StudyId), ("stage", stage));
                w.Sample("shapestudy_task_duration_seconds_count", h.Count, ("study", c.StudyId), ("stage", stage));
            }

        w.Family("shapestudy_stage_queued_tasks", "gauge", "Tasks ready to run or waiting for a retry, by stage.");
        foreach (var s in snapshot.Studies.Where(s => s.State == "running"))
            foreach (var st in s.Stages) w.Sample("shapestudy_stage_queued_tasks", st.Queued, ("study", s.StudyId), ("stage", st.Stage));
        w.Family("shapestudy_stage_running_tasks", "gauge", "Tasks leased to a worker slot, by stage.");
        foreach (var s in snapshot.Studies.Where(s => s.State == "running"))
            foreach (var st in s.Stages) w.Sample("shapestudy_stage_running_tasks", st.Running, ("study", s.StudyId), ("stage", st.Stage));

        w.Family("shapestudy_study_elapsed_seconds", "gauge", "Wall time of a study run so far (s).");
        foreach (var s in snapshot.Studies) w.Sample("shapestudy_study_elapsed_seconds", s.ElapsedSeconds, ("study", s.StudyId));
        w.Family("shapestudy_study_eta_seconds", "gauge", "Estimated time to finish the tasks planned so far (s), from the last minute's throughput.");
        foreach (var s in snapshot.Studies.Where(s => s.EtaSeconds is not null)) w.Sample("shapestudy_study_eta_seconds", s.EtaSeconds!.Value, ("study", s.StudyId));

        w.Family("shapestudy_mailbox_depth", "gauge", "Messages waiting in the mailboxes of every actor of a type in this process.");
        foreach (var a in snapshot.Actors) w.Sample("shapestudy_mailbox_depth", a.MailboxDepth, ("actor_type", a.ActorType));
        w.Family("shapestudy_mailbox_messages_total", "counter", "Messages enqueued to actors of a type in this process.");
        foreach (var a in snapshot.Actors) w.Sample("shapestudy_mailbox_messages_total", a.Enqueued, ("actor_type", a.ActorType));
        w.Family("shapestudy_actors", "gauge", "Live actors of a type in this process.");
        foreach (var a in snapshot.Actors) w.Sample("shapestudy_actors", a.Actors, ("actor_type", a.ActorType));

        w.Family("shapestudy_cluster_members", "gauge", "Cluster members by status, as this node sees them.");
        foreach (var g in snapshot.Members.GroupBy(m => m.Status).OrderBy(g => g.Key, StringComparer.Ordinal))
            w.Sample("shapestudy_cluster_members", g.Count(), ("status", g.Key));
        w.Family("shapestudy_cluster_unreachable_members", "gauge", "Cluster members this node cannot reach.");
        w.Sample("shapestudy_cluster_unreachable_members", snapshot.Members.Count(m => !m.Reachable));
        w.Family("shapestudy_worker_slots", "gauge", "Worker slots per node as the coordinator sees them, busy (leased) or free.");
        foreach (var m in snapshot.Members.Where(m => m.Slots is not null))
        {
            w.Sample("shapestudy_worker_slots", m.Busy ?? 0, ("node", m.Address), ("state", "busy"));
            w.Sample("shapestudy_worker_slots", m.Slots!.Value - (m.Busy ?? 0), ("node", m.Address), ("state", "free"));
        }
        return w.ToString();
    }

    /// <summary>A number in the exposition format: shortest round-trip form, +Inf/-Inf/NaN spelled as Prometheus does.</summary>
    public static string Number(double v) => double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf"
        : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Writer
    {
        private readonly StringBuilder _text = new();

        public void Family(string name, string type, string help)
        {
            _text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        }

        public void Sample(string name, double value, params (string Name, string Value)[] labels)
        {
            _text.Append(name);
            if (labels.Length > 0)
            {
                _text.Append('{');
                for (int i = 0; i < labels.Length; i++)
                {
                    if (i > 0) _text.Append(',');
                    _text.Append(labels[i].Name).Append("=\"").Append(Escape(labels[i].Value)).Append('"');
                }
                _text.Append('}');
            }
            _text.Append(' ').Append(Number(value)).Append('\n');
        }

        private static string Escape(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

        public override string ToString() => _text.ToString();
    }
}
