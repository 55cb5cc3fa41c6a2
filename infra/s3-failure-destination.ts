import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * An S3 on-failure destination for a Kinesis event source that grants only what Lambda needs to
 * write there (s3:PutObject on the bucket's objects and s3:ListBucket on the bucket, per the Lambda
 * developer guide), where aws-cdk-lib's S3OnFailureDestination grants read and write (GetObject*,
 * DeleteObject*, List*...).
 * @example handler.addEventSource(new KinesisEventSource(stream, { ..., onFailure: new S3FailedRecordsDestination(bucket) }));
 */
export class S3FailedRecordsDestination implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  /** Grants the function's role the writes and returns the destination for the event source mapping. */
  bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    this.bucket.grantPut(targetHandler);
    iam.Grant.addToPrincipal({
      grantee: targetHandler,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
    });
    return { destination: this.bucket.bucketArn };
  }
}
