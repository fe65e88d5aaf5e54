#!/usr/bin/env node
// CDK entry point (cdk.json "app"). Pick the environment with `-c env=<dev|staging|prod>`.
import { buildApp } from '../stacks/orders-app';

buildApp();
