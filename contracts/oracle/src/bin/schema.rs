//! Writes the JSON schema of the oracle's messages into ./schema (run through scripts/schema.sh,
//! which puts it into schema/oracle/).
use cosmwasm_schema::write_api;
use keel_types::oracle::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
}
