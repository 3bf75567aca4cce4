//! app-core's integration tests, one binary: the AWS adapters' request shapes (mocked
//! clients) and the Jobs table adapter against DynamoDB Local.

mod adapter_dynamodb;
mod adapter_ses;
mod adapter_sfn;
mod dynamodb_local;
