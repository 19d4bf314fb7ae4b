import { eventually, type TestApp } from './test-app.js';

export interface JobRow {
  id: string;
  state: string;
  data: Record<string, unknown>;
  singleton_key: string | null;
  start_after: Date;
  created_on: Date;
}

/** The app's pg-boss jobs of one queue, oldest first: what was scheduled, for when, and how it ended. */
export async function jobsOf(service: TestApp, name: string): Promise<JobRow[]> {
  const { rows } = await service.database.query<JobRow>(
    `SELECT id, state::text AS state, data, singleton_key, start_after, created_on
     FROM "${service.config.jobsSchema}".job WHERE name = $1 ORDER BY created_on`,
    [name],
  );
  return rows;
}

/** Waits until every job of the queue has finished (completed, failed or cancelled) and returns them. */
export async function settledJobs(
  service: TestApp,
  name: string,
  matching: (job: JobRow) => boolean = () => true,
): Promise<JobRow[]> {
  return eventually(async () => {
    const jobs = (await jobsOf(service, name)).filter(matching);
    return jobs.length > 0 && jobs.every((job) => ['completed', 'failed', 'cancelled'].includes(job.state))
      ? jobs
      : undefined;
  }, 20_000);
}
