/**
 * The CDK app (cdk.json: `npx tsx infra/app.ts`): one stack per pipeline, chosen by context.
 *   npx cdk synth  -c pipeline=network-wordcount
 *   npx cdk deploy -c pipeline=network-wordcount [-c alarmEmail=me@example.com]
 */
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';

async function main(): Promise<void> {
  const app = new App();
  await buildApp(app);
  app.synth();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
