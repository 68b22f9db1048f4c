// The header part of a DKIM signature (RFC 6376 section 5.4.2 and 3.7): which
// header field instances h= selects, and the hash over them plus the
// signature's own header field with b= blanked.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signet/canonicalization.h"
#include "signet/header.h"
#include "signet/signature.h"

namespace signet {

// For each name in `names`, the next unused instance counting from the bottom
// of the header block; nullptr where none is left (it signs "absent").
std::vector<const HeaderField*> selectSignedHeaders(std::span<const HeaderField> headers,
                                                    std::span<const std::string> names);

// The hash input: the selected fields canonicalized, then the signature field
// (b= already blanked) canonicalized without its final CRLF.
std::string headerHashInput(std::span<const HeaderField* const> selected,
                            std::string_view signature_field_without_b, Canonicalization c);

}  // namespace signet
