import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DStreamPipeline } from './dstream-pipeline';
import type { DStreamPipelineProps } from './dstream-pipeline';
import type { PipelineDefinition } from './load-pipeline';

/** Props of {@link DStreamPipelineStack}. */
export interface DStreamPipelineStackProps extends StackProps {
  /** The pipeline to deploy. */
  readonly pipeline: PipelineDefinition;
  /**
   * Further props of the {@link DStreamPipeline} construct.
   * @default - the construct's defaults
   */
  readonly pipelineProps?: Omit<DStreamPipelineProps, 'pipeline'>;
}

/** The stack name of a pipeline: `DStream-<name>` (stack names allow no `_`). */
export function stackNameFor(pipelineName: string): string {
  return `DStream-${pipelineName.replace(/_/g, '-')}`;
}

/**
 * One stack per pipeline: the {@link DStreamPipeline} construct plus outputs that name what a
 * user needs next (the stream to produce to, the dashboard to open, where outputs land).
 */
export class DStreamPipelineStack extends Stack {
  /** The pipeline's resources. */
  readonly pipeline: DStreamPipeline;

  constructor(scope: Construct, id: string, props: DStreamPipelineStackProps) {
    super(scope, id, props);
    this.pipeline = new DStreamPipeline(this, 'Pipeline', {
      ...props.pipelineProps,
      pipeline: props.pipeline,
    });
    const p = this.pipeline;
    new CfnOutput(this, 'StreamName', {
      description: 'Send lines with: npx dstream produce --stream <this name> < file',
      value: p.stream.streamName,
    });
    new CfnOutput(this, 'OutputBucketName', {
      description: 'Where saveAsTextFiles writes',
      value: p.outputBucket.bucketName,
    });
    new CfnOutput(this, 'TableName', { description: 'DynamoDB state table', value: p.table.tableName });
    new CfnOutput(this, 'HandlerFunctionName', {
      description: 'Map-phase Lambda function',
      value: p.handler.functionName,
    });
    new CfnOutput(this, 'HandlerLogGroupName', {
      description: 'Map-phase log (pprint of batches it closes): aws logs tail <name> --follow',
      value: p.handler.logGroup.logGroupName,
    });
    new CfnOutput(this, 'CloserLogGroupName', {
      description: 'Scheduled closer log (pprint of batches it closes)',
      value: p.closer.logGroup.logGroupName,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'CloudWatch dashboard',
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${p.monitoring.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'FailureDestination', {
      description: 'Where records go after the retries',
      value: p.failureBucket ? `s3://${p.failureBucket.bucketName}` : (p.failureQueue?.queueUrl ?? ''),
    });
  }
}
