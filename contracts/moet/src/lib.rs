//! MOET, Keel's unit of account and primary debt token (SPEC 3.0): a cw20-base 2.0 token whose
//! minter is the market, built by `scripts/build-wasm.sh` into `artifacts/keel_moet.wasm` with the
//! same toolchain and settings as the other contracts (the gas bench runs it as real wasm; any
//! other cw20 token in the bench uses the same code).
//!
//! Messages, queries, errors, attributes and records are cw20-base's own:
//! `cw20_base::msg::{InstantiateMsg, ExecuteMsg, QueryMsg, MigrateMsg}`. The one difference is
//! in [`balances`]: a balance that reaches zero is deleted rather than stored as zero.
pub mod balances;
#[cfg(test)]
mod tests;

pub mod contract {
    #[cfg(not(feature = "library"))]
    use cosmwasm_std::entry_point;
    use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};
    use cw20_base::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
    use cw20_base::ContractError;

    #[cfg_attr(not(feature = "library"), entry_point)]
    pub fn instantiate(
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: InstantiateMsg,
    ) -> Result<Response, ContractError> {
        cw20_base::contract::instantiate(deps, env, info, msg)
    }

    #[cfg_attr(not(feature = "library"), entry_point)]
    pub fn execute(
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: ExecuteMsg,
    ) -> Result<Response, ContractError> {
        use crate::balances;
        match msg {
            ExecuteMsg::Transfer { recipient, amount } => {
                balances::transfer(deps, info, recipient, amount)
            }
            ExecuteMsg::Send {
                contract,
                amount,
                msg,
            } => balances::send(deps, info, contract, amount, msg),
            ExecuteMsg::Burn { amount } => balances::burn(deps, info, amount),
            ExecuteMsg::TransferFrom {
                owner,
                recipient,
                amount,
            } => balances::transfer_from(deps, env, info, owner, recipient, amount),
            ExecuteMsg::SendFrom {
                owner,
                contract,
                amount,
                msg,
            } => balances::send_from(deps, env, info, owner, contract, amount, msg),
            ExecuteMsg::BurnFrom { owner, amount } => {
                balances::burn_from(deps, env, info, owner, amount)
            }
            msg => cw20_base::contract::execute(deps, env, info, msg),
        }
    }

    #[cfg_attr(not(feature = "library"), entry_point)]
    pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
        cw20_base::contract::query(deps, env, msg)
    }

    #[cfg_attr(not(feature = "library"), entry_point)]
    pub fn migrate(deps: DepsMut, env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
        cw20_base::contract::migrate(deps, env, msg)
    }
}

pub use cw20_base::msg;
