//! `liquidate` with native funds and through cw20 `send`: the repayment is checked, then handed
//! whole to the market's one-pass `liquidate` with this liquidator's close factor and bonus; the
//! liquidator makes no query and keeps nothing.
use cosmwasm_std::{coin, coins, to_json_binary, CosmosMsg, Uint128, WasmMsg};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use keel_types::liquidator::{ExecuteMsg, ReceiveMsg};
use keel_types::market::{ExecuteMsg as MarketExecuteMsg, ReceiveMsg as MarketReceiveMsg};

use super::*;

fn liquidate_msg(debt_denom: &str, min_collateral_out: Option<u128>) -> ExecuteMsg {
    ExecuteMsg::Liquidate {
        position_id: POSITION,
        debt_denom: debt_denom.to_string(),
        collateral_denom: ETH.to_string(),
        min_collateral_out: min_collateral_out.map(Uint128::new),
    }
}

fn msgs(res: &Response) -> Vec<CosmosMsg> {
    res.messages.iter().map(|m| m.msg.clone()).collect()
}

#[test]
fn native_repayment_is_handed_whole_to_the_markets_liquidate_with_own_factors() {
    let mut deps = setup(MarketMock::new(MOET));
    let res = exec(
        &mut deps,
        &addr("bot"),
        &coins(500_000_000, MOET),
        liquidate_msg(MOET, Some(7)),
    )
    .unwrap();
    assert_eq!(
        msgs(&res),
        vec![CosmosMsg::from(WasmMsg::Execute {
            contract_addr: addr("market").to_string(),
            msg: to_json_binary(&MarketExecuteMsg::Liquidate {
                position_id: POSITION,
                debt_denom: MOET.to_string(),
                collateral_denom: ETH.to_string(),
                close_factor: dec("0.2"),
                liquidation_bonus: dec("0.03"),
                min_collateral_out: Some(Uint128::new(7)),
                recipient: addr("bot").to_string(),
            })
            .unwrap(),
            funds: coins(500_000_000, MOET),
        })]
    );
    assert_eq!(attr(&res, "offered"), "500000000");
    assert_eq!(attr(&res, "liquidator"), addr("bot").as_str());
}

#[test]
fn configured_factors_are_the_ones_handed_to_the_market() {
    let mut deps = setup_with(MarketMock::new(MOET), Some(dec("0.35")), Some(dec("0.05")));
    let res = exec(
        &mut deps,
        &addr("bot"),
        &coins(1, MOET),
        liquidate_msg(MOET, None),
    )
    .unwrap();
    let CosmosMsg::Wasm(WasmMsg::Execute { msg, .. }) = &msgs(&res)[0] else {
        panic!("not a wasm execute");
    };
    let MarketExecuteMsg::Liquidate {
        close_factor,
        liquidation_bonus,
        ..
    } = from_json(msg).unwrap()
    else {
        panic!("not the market's liquidate");
    };
    assert_eq!(
        (close_factor, liquidation_bonus),
        (dec("0.35"), dec("0.05"))
    );
}

#[test]
fn no_funds_is_rejected() {
    let mut deps = setup(MarketMock::new(MOET));
    let err = exec(&mut deps, &addr("bot"), &[], liquidate_msg(MOET, None)).unwrap_err();
    assert_eq!(err, ContractError::NoFunds);
}

#[test]
fn zero_amount_coin_is_rejected_as_zero_amount() {
    let mut deps = setup(MarketMock::new(MOET));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &coins(0, MOET),
        liquidate_msg(MOET, None),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ContractError::ZeroAmount {
            denom: MOET.to_string()
        }
    );
}

#[test]
fn funds_of_another_denom_are_rejected() {
    let mut deps = setup(MarketMock::new(MOET));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &coins(200_000_000, "uatom"),
        liquidate_msg(MOET, None),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ContractError::WrongFunds { reason } if reason.contains("uatom") && reason.contains(MOET)),
        "{err:?}"
    );
}

#[test]
fn more_than_one_coin_is_rejected() {
    let mut deps = setup(MarketMock::new(MOET));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &[coin(200_000_000, MOET), coin(1, "uatom")],
        liquidate_msg(MOET, None),
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::WrongFunds { .. }), "{err:?}");
}

#[test]
fn native_funds_cannot_repay_a_cw20_debt() {
    let debt_denom = format!("cw20:{}", addr("moet_token"));
    let mut deps = setup(MarketMock::new(&debt_denom));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &coins(200_000_000, MOET),
        liquidate_msg(&debt_denom, None),
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::WrongFunds { .. }), "{err:?}");
}

fn cw20_receive(sender: &str, amount: u128, debt_denom: &str, min: Option<u128>) -> ExecuteMsg {
    ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: addr(sender).to_string(),
        amount: Uint128::new(amount),
        msg: to_json_binary(&ReceiveMsg::Liquidate {
            position_id: POSITION,
            debt_denom: debt_denom.to_string(),
            collateral_denom: ETH.to_string(),
            min_collateral_out: min.map(Uint128::new),
        })
        .unwrap(),
    })
}

#[test]
fn cw20_repayment_is_sent_whole_to_the_market_with_the_liquidate_hook() {
    let token = addr("moet_token");
    let debt_denom = format!("cw20:{token}");
    let mut deps = setup(MarketMock::new(&debt_denom));
    let res = exec(
        &mut deps,
        &token,
        &[],
        cw20_receive("bot", 500_000_000, &debt_denom, None),
    )
    .unwrap();
    let hook = MarketReceiveMsg::Liquidate {
        position_id: POSITION,
        debt_denom: debt_denom.clone(),
        collateral_denom: ETH.to_string(),
        close_factor: dec("0.2"),
        liquidation_bonus: dec("0.03"),
        min_collateral_out: None,
        recipient: addr("bot").to_string(),
    };
    assert_eq!(
        msgs(&res),
        vec![CosmosMsg::from(WasmMsg::Execute {
            contract_addr: token.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Send {
                contract: addr("market").to_string(),
                amount: Uint128::new(500_000_000),
                msg: to_json_binary(&hook).unwrap(),
            })
            .unwrap(),
            funds: vec![],
        })]
    );
}

#[test]
fn cw20_from_a_token_other_than_the_debt_denom_is_rejected() {
    let debt_denom = format!("cw20:{}", addr("moet_token"));
    let mut deps = setup(MarketMock::new(&debt_denom));
    let err = exec(
        &mut deps,
        &addr("other_token"),
        &[],
        cw20_receive("bot", 200_000_000, &debt_denom, None),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ContractError::WrongFunds { reason } if reason.contains(addr("other_token").as_str())),
        "{err:?}"
    );
}

#[test]
fn cw20_cannot_repay_a_native_debt() {
    let mut deps = setup(MarketMock::new(MOET));
    let err = exec(
        &mut deps,
        &addr("moet_token"),
        &[],
        cw20_receive("bot", 200_000_000, MOET, None),
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::WrongFunds { .. }), "{err:?}");
}

#[test]
fn cw20_hook_that_is_not_a_liquidation_is_rejected() {
    let token = addr("moet_token");
    let debt_denom = format!("cw20:{token}");
    let mut deps = setup(MarketMock::new(&debt_denom));
    let err = exec(
        &mut deps,
        &token,
        &[],
        ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: addr("bot").to_string(),
            amount: Uint128::new(1),
            msg: to_json_binary(&unknown_hook()).unwrap(),
        }),
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::Std(_)), "{err:?}");
}

/// A hook the liquidator does not know.
fn unknown_hook() -> MarketReceiveMsg {
    MarketReceiveMsg::Repay {
        position_id: POSITION,
    }
}

#[test]
fn a_native_coin_in_the_cw20_form_is_refused_among_several() {
    let mut deps = setup(MarketMock::new(MOET));
    let forged = format!("cw20:{}", addr("moet_token"));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &[coin(200_000_000, MOET), coin(1, &forged)],
        liquidate_msg(MOET, None),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ContractError::WrongFunds { reason } if reason.contains("reserved prefix")),
        "{err:?}"
    );
}
