// Every operation of the API, in the order the OpenAPI document lists them. A new route group is
// added here and nowhere else: REST, WebSocket RPC and the route-walk test all read this list.
import type { Operation } from "../operation.js";
import { accessOperations } from "./access.js";
import { auditOperations } from "./audit.js";
import { contentOperations } from "./content.js";
import { executionOperations } from "./executions.js";
import { secretOperations } from "./secrets.js";
import { tenantOperations } from "./tenants.js";
import { triggerOperations } from "./triggers.js";
import { workflowOperations } from "./workflows.js";

export const ALL_OPERATIONS: readonly Operation[] = [
  ...workflowOperations,
  ...triggerOperations,
  ...executionOperations,
  ...tenantOperations,
  ...accessOperations,
  ...secretOperations,
  ...contentOperations,
  ...auditOperations,
];
